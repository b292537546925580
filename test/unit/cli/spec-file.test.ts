import { describe, expect, it } from 'vitest';
import { parseJobSpec, SpecFileError } from '../../../functions/cli/spec-file';

function problems(source: string, file = 'job.yaml') {
  try {
    parseJobSpec(source, file);
  } catch (err) {
    if (err instanceof SpecFileError) return { code: err.code, problems: err.problems.map((p) => `${p.line}:${p.col} ${p.path ? `${p.path}: ` : ''}${p.message}`), message: err.message };
    throw err;
  }
  throw new Error('expected a SpecFileError');
}

describe('job spec files', () => {
  it('parses YAML and JSON (tabs included) into the same spec', () => {
    const yaml = 'name: jober1\nowner: sqc\nenv: { env: test }\ntasks:\n  - name: task_1\n    provider: demo\n  - { name: task_3, provider: demo, input: { all_config: "yes" } }\n';
    const json = '{\n\t"name": "jober1",\n\t"owner": "sqc",\n\t"env": {"env": "test"},\n\t"tasks": [{"name": "task_1", "provider": "demo"}, {"name": "task_3", "provider": "demo", "input": {"all_config": "yes"}}]\n}\n';
    const expected = { name: 'jober1', owner: 'sqc', env: { env: 'test' }, tasks: [{ name: 'task_1', provider: 'demo' }, { name: 'task_3', provider: 'demo', input: { all_config: 'yes' } }] };
    expect(parseJobSpec(yaml, 'job.yaml')).toEqual(expected);
    expect(parseJobSpec(json, 'job.json')).toEqual(expected);
  });

  it('reports YAML syntax errors with line and column and the offending line', () => {
    const r = problems('name: one\nowner: sqc\ntasks:\n  - name: task_1\n   provider: demo\n');
    expect(r.code).toBe('YAML_SYNTAX');
    expect(r.problems[0]).toMatch(/^5:1 /);
    expect(r.message).toContain('job.yaml:5:1: ');
    expect(r.message).toContain('  5 |    provider: demo');
  });

  it('reports duplicate keys and broken JSON with positions', () => {
    expect(problems('name: a\nowner: b\nname: c\n').problems).toEqual(['3:1 Map keys must be unique']);
    expect(problems('{\n  "name": "one",\n  "owner": "sqc"\n  "tasks": []\n}').problems[0]).toMatch(/^(3|4):\d+ /);
  });

  it('validates with the API schema and points each violation at its line', () => {
    const r = problems(['name: one', 'owner: 3', 'retry: { count: "x" }', 'tasks:', '  - name: task_1', '    provider: demo', '  - name: task_2', '    provder: demo', ''].join('\n'));
    expect(r.code).toBe('VALIDATION_FAILED');
    expect(r.problems).toEqual([
      '2:8 owner: Invalid input: expected string, received number',
      '3:17 retry.count: Invalid input: expected number, received string',
      '7:5 tasks[1].provider: required',
      '8:5 tasks[1].provder: unknown key provder',
    ]);
    expect(r.message.split('\n')[0]).toBe('4 problems in job.yaml');
    expect(r.message).toContain('job.yaml:8:5: tasks[1].provder: unknown key provder\n  8 |     provder: demo\n    |     ^');
  });

  it('applies the schema\'s own rules (tasks xor children, duplicate names)', () => {
    expect(problems('name: a\nowner: b\n').problems).toEqual(['1:1 tasks: a job needs at least one task or one child']);
    expect(problems('name: a\nowner: b\ntasks:\n  - { name: t, provider: demo }\n  - { name: t, provider: demo }\n').problems).toEqual(['4:3 tasks: task name t is used twice']);
  });

  it('says so for an empty file or a file that is not an object', () => {
    expect(problems('').problems).toEqual(['1:1 the file holds no job: a job spec is an object with name, owner and tasks or children']);
    expect(problems('- a\n- b\n').problems[0]).toMatch(/^1:1 .*expected object/);
  });

  it('reads a .json file as JSON: values YAML would take as strings, comments or folded strings are JSON syntax errors', () => {
    const unquoted = problems('{\n  "name": "one",\n  "owner": sqc,\n  "tasks": [{ "name": "t", "provider": "demo" }]\n}\n', 'job.json');
    expect(unquoted.code).toBe('JSON_SYNTAX');
    expect(unquoted.problems).toEqual(["3:12 expected a value, found 's'"]);
    expect(unquoted.message).toBe("job.json:3:12: expected a value, found 's'\n  3 |   \"owner\": sqc,\n    |            ^");
    // Same text as YAML: a valid spec whose owner is the string "sqc".
    expect(parseJobSpec('{\n  "name": "one",\n  "owner": sqc,\n  "tasks": [{ "name": "t", "provider": "demo" }]\n}\n', 'job.yaml').owner).toBe('sqc');
    // YAML folds a line break inside a quoted string into a space; JSON refuses it.
    expect(problems('{"name": "one", "owner": "a\n b", "tasks": [{"name": "t", "provider": "demo"}]}', 'job.json').problems).toEqual([
      '1:28 a control character (a tab or a line break) inside a string must be escaped',
    ]);
    expect(problems('{"name": "one", # a comment\n "owner": "o"}', 'JOB.JSON').problems).toEqual(["1:17 expected a property name in double quotes, found '#'"]);
  });

  it('reads a .json file with repeated keys as JSON does (the last wins), where YAML refuses it', () => {
    const source = '{"name": "first", "owner": "o", "name": "second", "tasks": [{"name": "t", "provider": "demo"}]}';
    expect(parseJobSpec(source, 'job.json').name).toBe('second');
    expect(problems(source).code).toBe('YAML_SYNTAX');
  });

  it('names the .json file, line and column of a JSON syntax error (trailing comma, unclosed object, bad escape, text after the value)', () => {
    expect(problems('{\n  "name": "one",\n  "owner": "sqc",\n}', 'specs/job.json').message).toMatch(/^specs\/job\.json:4:1: expected a property name in double quotes, found '}'/);
    expect(problems('{"name": "one"', 'job.json').problems).toEqual(["1:15 expected ',' or '}' after a property value, found the end of the file"]);
    expect(problems('{"name": "\\x41"}', 'job.json').problems).toEqual(['1:11 invalid escape in a string']);
    expect(problems('{"name": "one"} {}', 'job.json').problems).toEqual(["1:17 unexpected '{' after the JSON value"]);
    expect(problems('', 'job.json').problems).toEqual(['1:1 expected a value, found the end of the file']);
  });

  it('accepts a .json file that starts with a byte order mark and still points schema violations at their line', () => {
    const r = problems('\uFEFF{\n  "name": "one",\n  "owner": 3,\n  "tasks": [{"name": "t", "provider": "demo"}]\n}', 'job.json');
    expect(r.code).toBe('VALIDATION_FAILED');
    expect(r.problems).toEqual(['3:12 owner: Invalid input: expected string, received number']);
  });
});
