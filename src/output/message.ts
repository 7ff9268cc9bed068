/** One message as every output format sees it (the JSON formats print exactly this). */
export interface MessageSummary {
  id: string;
  threadId: string;
  labelIds: string[];
  /** ISO 8601 UTC, from Gmail's internalDate; "" when only ids were fetched. */
  date: string;
  /** Header values as sent; an absent header is "". */
  from: string;
  to: string;
  subject: string;
  snippet: string;
}
