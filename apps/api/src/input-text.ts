import { GraphQLError, Kind, visit, type ASTNode, type DocumentNode } from 'graphql';
import type { FieldProblem } from './services/errors';

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
      if (node.value.includes(NUL))
        problems.push({ path: literalPath([...ancestors, ...(parent ? [parent] : []), node]), message: 'contains the NUL character (U+0000)' });
    },
  });
  for (const [name, value] of Object.entries(variables ?? {})) collectFromValue(value, name, problems);
  return problems;
}

/** A BAD_USER_INPUT error naming every place, or undefined when there is none. */
export function nulCharacterError(document: DocumentNode, variables: Record<string, unknown> | null | undefined): GraphQLError | undefined {
  const problems = nulCharacterProblems(document, variables);
  if (problems.length === 0) return undefined;
  return new GraphQLError(`Text may not contain the NUL character (U+0000), which PostgreSQL cannot store: ${problems.map((p) => p.path).join(', ')}`, {
    extensions: { code: 'BAD_USER_INPUT', problems, http: { status: 400 } },
  });
}

/** Where a value sits in a variable; the path text is built only for a value at fault. */
interface Place {
  parent: Place | undefined;
  key: string | number;
}

function pathOf(place: Place): string {
  const keys: Array<string | number> = [];
  for (let at: Place | undefined = place; at; at = at.parent) keys.push(at.key);
  return keys
    .reverse()
    .map((key, i) => (typeof key === 'number' ? `[${key}]` : i === 0 ? `$${key}` : `.${key.replaceAll(NUL, '\\u0000')}`))
    .join('');
}

function collectFromValue(value: unknown, name: string, problems: FieldProblem[]): void {
  const root: Place = { parent: undefined, key: name };
  const check = (child: unknown, parent: Place, key: string | number) => {
    if (typeof child === 'string') {
      if (child.includes(NUL)) problems.push({ path: pathOf({ parent, key }), message: 'contains the NUL character (U+0000)' });
    } else if (typeof child === 'object' && child !== null) {
      containers.push([child, { parent, key }]);
    }
  };
  // Iterative, so a deeply nested JSON variable cannot overflow the stack here. Strings are checked where they
  // are met and only containers are queued, so a batch of a million metric points costs one light pass.
  const containers: Array<[object, Place]> = [];
  if (typeof value === 'string') {
    if (value.includes(NUL)) problems.push({ path: pathOf(root), message: 'contains the NUL character (U+0000)' });
  } else if (typeof value === 'object' && value !== null) containers.push([value, root]);
  while (containers.length > 0) {
    const [current, place] = containers.pop()!;
    if (Array.isArray(current)) {
      for (let i = 0; i < current.length; i++) check(current[i], place, i);
    } else {
      for (const key in current) {
        if (!Object.hasOwn(current, key)) continue;
        if (key.includes(NUL)) problems.push({ path: pathOf(place), message: 'has a key containing the NUL character (U+0000)' });
        check((current as Record<string, unknown>)[key], place, key);
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
