import type { BuildOptions, Plugin } from 'esbuild';

export declare const GOOGLE_BUNDLE: { entry: string; output: string };
export declare const NARROWED: { gmailClient: string; apiRequest: string };
export declare const FETCH_API_GLOBALS: string;
export declare const narrowGoogleLibraries: Plugin;
export declare function googleBundleOptions(): BuildOptions & { outfile: string };
