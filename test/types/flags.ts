/**
 * Type-level checks, compiled by `npm run typecheck` (never run): each command's flags are
 * inferred from its commander definition, so a flag renamed there and not in its run
 * function (or here) is a compile error rather than an `undefined` at run time.
 */
import type { ListFlags } from '../../src/commands/list.js';
import type { LoginFlags } from '../../src/commands/login.js';
import type { LogoutFlags } from '../../src/commands/logout.js';
import type { StatusFlags } from '../../src/commands/status.js';
import type { TokenFlags } from '../../src/commands/token.js';
import type { OutputFormat } from '../../src/output/index.js';

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const exactly = <A, B>(proof: Equals<A, B>): Equals<A, B> => proof;

declare const list: ListFlags;
exactly<typeof list.label, string[]>(true);
exactly<typeof list.max, number | undefined>(true);
exactly<typeof list.format, OutputFormat | undefined>(true);
// @ts-expect-error: the flag is --label; a wrong name is not `any`
void list.labels;

declare const login: LoginFlags;
exactly<typeof login.browser, boolean>(true); // --no-browser
exactly<typeof login.port, number>(true); // has a default
// @ts-expect-error: --insecure-storage is insecureStorage
void login.insecure;

declare const logout: LogoutFlags;
exactly<typeof logout.all, true | undefined>(true);
// @ts-expect-error: there is no --everyone
void logout.everyone;

declare const status: StatusFlags;
exactly<typeof status.json, true | undefined>(true);

declare const token: TokenFlags;
exactly<typeof token.account, string | undefined>(true);
// @ts-expect-error: token takes no --json
void token.json;

// A run function refuses flags of another shape.
import type { runList } from '../../src/commands/list.js';
type ListRunFlags = Parameters<typeof runList>[1];
// @ts-expect-error: `label` is required (it defaults to [])
const missingLabel: ListRunFlags = { query: 'x' };
void missingLabel;
