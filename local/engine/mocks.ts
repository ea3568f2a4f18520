/**
 * Mocked service integrations, in the mock configuration format AWS Step Functions Local documents
 * ("Using mocked service integrations for testing in Step Functions Local"):
 *
 *   {
 *     "StateMachines": { "<state machine name>": { "TestCases": { "<test case>": { "<state>": "<mocked response>" } } } },
 *     "MockedResponses": { "<mocked response>": { "0": { "Return": … }, "1-2": { "Throw": { "Error": …, "Cause": … } } } }
 *   }
 *
 * An execution runs a test case when it is started on `<stateMachineArn>#<test case>`. A Task state
 * the test case names answers with its mocked response instead of calling the integration: the
 * invocation counter of that state in the execution (0, 1, …, retries and loops included) picks the
 * entry whose key is that number or a range containing it. `Return` is the task's result, `Throw`
 * fails it with `Error`/`Cause` (so Retry and Catch see them). Other states run for real.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ApiError } from './errors.ts';
import type { Json } from './types.ts';

const ATTEMPT_KEY = /^(\d+)(?:-(\d+))?$/;

const stepSchema = z
  .object({
    Return: z.unknown().optional(),
    Throw: z
      .object({ Error: z.string().min(1), Cause: z.string().optional() })
      .strict()
      .optional(),
  })
  .strict()
  .refine((s) => (s.Return !== undefined) !== (s.Throw !== undefined), {
    message: 'a mocked response step has exactly one of Return and Throw',
  });

const configSchema = z
  .object({
    StateMachines: z.record(
      z.string(),
      z.object({ TestCases: z.record(z.string(), z.record(z.string(), z.string())) }).strict(),
    ),
    MockedResponses: z.record(z.string(), z.record(z.string(), stepSchema)),
  })
  .strict();

/** One entry of a mocked response: a result or an error. */
export type MockStep = { Return: Json } | { Throw: { Error: string; Cause?: string } };

interface MockRange {
  from: number;
  to: number;
  step: MockStep;
}

/** A loaded mock configuration. */
export class MockConfig {
  private readonly cases = new Map<string, Map<string, Map<string, MockRange[]>>>();

  private constructor(raw: z.infer<typeof configSchema>) {
    const responses = new Map<string, MockRange[]>();
    for (const [name, steps] of Object.entries(raw.MockedResponses)) {
      const ranges: MockRange[] = [];
      for (const [key, s] of Object.entries(steps)) {
        const m = ATTEMPT_KEY.exec(key);
        if (!m)
          throw new Error(
            `mock configuration: MockedResponses.${name}.${key}: attempt keys are "n" or "n-m"`,
          );
        const from = Number(m[1]);
        const to = m[2] === undefined ? from : Number(m[2]);
        if (to < from) throw new Error(`MockedResponses.${name}: the range "${key}" ends before it starts`);
        const step: MockStep =
          s.Throw !== undefined
            ? {
                Throw: {
                  Error: s.Throw.Error,
                  ...(s.Throw.Cause !== undefined ? { Cause: s.Throw.Cause } : {}),
                },
              }
            : { Return: s.Return as Json };
        ranges.push({ from, to, step });
      }
      responses.set(name, ranges);
    }
    for (const [machine, { TestCases }] of Object.entries(raw.StateMachines)) {
      const cases = new Map<string, Map<string, MockRange[]>>();
      for (const [testCase, states] of Object.entries(TestCases)) {
        const byState = new Map<string, MockRange[]>();
        for (const [state, response] of Object.entries(states)) {
          const ranges = responses.get(response);
          if (!ranges) {
            throw new Error(
              `StateMachines.${machine}.TestCases.${testCase}.${state}: no MockedResponses entry named "${response}"`,
            );
          }
          byState.set(state, ranges);
        }
        cases.set(testCase, byState);
      }
      this.cases.set(machine, cases);
    }
  }

  /** Parse and check a configuration (throws naming the field and the reason). */
  static parse(json: unknown): MockConfig {
    const r = configSchema.safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new Error(`mock configuration: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    return new MockConfig(r.data);
  }

  /** Read a configuration file (JSON). */
  static load(file: string): MockConfig {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new Error(`mock configuration ${file}: ${(e as Error).message}`);
    }
    return MockConfig.parse(json);
  }

  /** Is there a test case of that name for the state machine? */
  has(machine: string, testCase: string): boolean {
    return this.cases.get(machine)?.has(testCase) ?? false;
  }

  /**
   * The mocked answer of a state's `attempt`-th invocation (0-based) in a test case: a step, `null`
   * when the test case mocks the state but has no entry for that attempt, undefined when the state
   * is not mocked (it runs for real).
   */
  answer(machine: string, testCase: string, state: string, attempt: number): MockStep | null | undefined {
    const ranges = this.cases.get(machine)?.get(testCase)?.get(state);
    if (!ranges) return undefined;
    return ranges.find((r) => attempt >= r.from && attempt <= r.to)?.step ?? null;
  }
}

/**
 * Split a StartExecution target `<stateMachineArn>#<test case>` (Step Functions Local's form). A
 * test case needs a mock configuration naming it for that state machine.
 */
export const splitTestCase = (
  arn: unknown,
  config: MockConfig | undefined,
  machineName: (arn: string) => string | undefined,
): { arn: unknown; testCase?: string } => {
  if (typeof arn !== 'string') return { arn };
  const i = arn.indexOf('#');
  if (i < 0) return { arn };
  const base = arn.slice(0, i);
  const testCase = arn.slice(i + 1);
  if (testCase === '') return { arn: base };
  const name = machineName(base);
  if (!config) {
    throw new ApiError(
      'ValidationException',
      `Test case '${testCase}' requested but no mock configuration is loaded (storeflow dev --mock-config <file>)`,
    );
  }
  if (name !== undefined && !config.has(name, testCase)) {
    throw new ApiError(
      'ValidationException',
      `The mock configuration has no test case '${testCase}' for state machine '${name}'`,
    );
  }
  return { arn: base, testCase };
};
