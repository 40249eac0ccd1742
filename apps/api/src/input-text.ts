import { GraphQLError, Kind, visit, type ASTNode, type DocumentNode } from 'graphql';
import type { FieldProblem } from './errors';

/**
 * PostgreSQL text and jsonb cannot hold U+0000. GraphQL can write it in several ways (`"\u0000"` in JSON
 * variables, `"\u{0}"` or `"\u0000"` in a query literal), so strings are checked once parsed, whatever the
 * escape: every string literal of the document and every string (and object key) of the variables.
 */
const NUL = '\u0000';

/** Where U+0000 appears: `createProject.name` for a literal argument, `$input.tags[2]` for a variable. */
export function nulCharacterProblems(document: DocumentNode, variables: Record<string, unknown> | null | undefined): FieldProblem[] {
  const problems: FieldProblem[] = [];
  visit(document, {
    StringValue(node, _key, parent, _path, ancestors) {
      if (node.value.includes(NUL)) problems.push({ path: literalPath([...ancestors, ...(parent ? [parent] : []), node]), message: 'contains the NUL character (U+0000)' });
    },
  });
  for (const [name, value] of Object.entries(variables ?? {})) collectFromValue(value, `$${name}`, problems);
  return problems;
}

/** A BAD_USER_INPUT error naming every place, or undefined when there is none. */
export function nulCharacterError(document: DocumentNode, variables: Record<string, unknown> | null | undefined): GraphQLError | undefined {
  const problems = nulCharacterProblems(document, variables);
  if (problems.length === 0) return undefined;
  return new GraphQLError(
    `Text may not contain the NUL character (U+0000), which PostgreSQL cannot store: ${problems.map((p) => p.path).join(', ')}`,
    { extensions: { code: 'BAD_USER_INPUT', problems, http: { status: 400 } } },
  );
}

function collectFromValue(value: unknown, path: string, problems: FieldProblem[]): void {
  // Iterative, so a deeply nested JSON variable cannot overflow the stack here.
  const stack: Array<[unknown, string]> = [[value, path]];
  while (stack.length > 0) {
    const [current, at] = stack.pop()!;
    if (typeof current === 'string') {
      if (current.includes(NUL)) problems.push({ path: at, message: 'contains the NUL character (U+0000)' });
    } else if (Array.isArray(current)) {
      current.forEach((item, i) => stack.push([item, `${at}[${i}]`]));
    } else if (typeof current === 'object' && current !== null) {
      for (const [key, child] of Object.entries(current)) {
        if (key.includes(NUL)) problems.push({ path: at, message: 'has a key containing the NUL character (U+0000)' });
        stack.push([child, `${at}.${key.replaceAll(NUL, '\\u0000')}`]);
      }
    }
  }
}

/** `field.argument.objectField[index]`, from the chain of nodes from the document down to the literal. */
function literalPath(chain: ReadonlyArray<ASTNode | ReadonlyArray<ASTNode>>): string {
  const nodes = chain.filter((node): node is ASTNode => !Array.isArray(node));
  let path = '';
  let field = '';
  nodes.forEach((node, i) => {
    switch (node.kind) {
      case Kind.FIELD:
        field = node.name.value;
        path = '';
        break;
      case Kind.ARGUMENT:
        path = `${field}.${node.name.value}`;
        break;
      case Kind.OBJECT_FIELD:
        path += `.${node.name.value}`;
        break;
      case Kind.LIST:
        path += `[${node.values.indexOf(nodes[i + 1] as (typeof node.values)[number])}]`;
        break;
      case Kind.VARIABLE_DEFINITION:
        path = `$${node.variable.name.value}`;
        break;
      case Kind.DIRECTIVE:
        path = `@${node.name.value}`;
        break;
    }
  });
  return path === '' ? 'a string literal' : path;
}
