import type { LogStream } from '@tuneboard/db';
import type { LogStream as GraphQLLogStream, Resolvers } from '../generated/resolvers-types';
import { appendRunLog, readRunLog } from '../services/logs';

export const typeDefs = /* GraphQL */ `
  enum LogStream {
    STDOUT
    STDERR
  }

  "One line a run's command printed."
  type RunLogLine {
    "The line's number in the run's log, from 0."
    seq: Int!
    stream: LogStream!
    text: String!
    time: DateTime!
  }

  type RunLogPage {
    lines: [RunLogLine!]!
    "Lines matching the search (every line without one) in the whole log."
    total: Int!
    "Matching lines exist after the last line of this page (page on with after: its seq)."
    hasMore: Boolean!
    "Matching lines exist before the first line of this page (page back with last and before: its seq)."
    hasEarlier: Boolean!
  }

  extend type Run {
    """
    The console output \`tuneboard run\` captured, in order. first (default 500) lines after the seq \`after\`, or the
    last N lines before the seq \`before\` (the tail, when before is omitted); at most 5,000 a page. search: lines
    containing this text, ignoring case.
    """
    logs(after: Int, first: Int, before: Int, last: Int, search: String): RunLogPage!
  }

  input RunLogLineInput {
    "The line's number in the run's log, from 0 (a line whose number is stored already is skipped: batches may be retried)."
    seq: Int!
    stream: LogStream!
    "At most 16,384 characters, no NUL."
    text: String!
    "When the line was printed, in milliseconds since the epoch; default now."
    time: Float
  }

  type AppendRunLogPayload {
    "Lines stored by this call (retried lines already stored are not counted)."
    accepted: Int!
    run: Run!
  }

  extend type Mutation {
    "Appends console lines to a run (owners and members; at most 10,000 a call). It counts as a heartbeat of an EXTERNAL run."
    appendRunLog(runId: ID!, lines: [RunLogLineInput!]!): AppendRunLogPayload!
  }
`;

const toStream = (stream: GraphQLLogStream) => stream.toLowerCase() as LogStream;

export const resolvers: Resolvers = {
  Run: {
    logs: async (run, args, ctx) => {
      const page = await readRunLog(ctx, run, args);
      return {
        ...page,
        lines: page.lines.map((line) => ({ seq: line.seq, stream: line.stream.toUpperCase() as GraphQLLogStream, text: line.text, time: line.loggedAt })),
      };
    },
  },
  Mutation: {
    appendRunLog: (_parent, { runId, lines }, ctx) =>
      appendRunLog(
        ctx,
        runId,
        lines.map((line) => ({ ...line, stream: toStream(line.stream) })),
      ),
  },
};
