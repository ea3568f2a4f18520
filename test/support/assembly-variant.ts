import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The app's 15-minute workflow clocks (lib/constructs/workflow-clock.ts) and the members' annual grant. */
export const APP_CLOCKS = [
  'RestockSweepSchedule',
  'RepricingRunSchedule',
  'MembersNightlySchedule',
  'MembersAnnualSchedule',
];

/**
 * The app's EventBridge rules by which other features react to orders (restock's sales, the SLA's
 * promises, repricing's sales signal, the members' ledger). A test of one feature that sends many
 * orders disables the others' reactions it asserts nothing about: each order starts each of them
 * (a Lambda invocation apiece, and for the SLA a promise whose deadline later compensates it).
 */
export const ORDER_REACTIONS = [
  'RestockSalesAndStockRule',
  'SlaPromiseEventsRule',
  'RepricingPricingEventsRule',
  'MembersLedgerEventsRule',
];

/**
 * The synthesized app (`inject('appAssembly')`) with some of its declared EventBridge Scheduler
 * schedules and EventBridge rules set to `State: DISABLED`, as a template could declare them;
 * everything else (the assets, the manifest) is a symbolic link to the original. For a test that
 * advances the virtual clock through days and asserts nothing those schedules or rules start: each
 * enabled 15-minute clock is a Lambda invocation every quarter hour (and the repricing one an
 * hourly run once a SKU is priced), which is most of such a test's work. `schedules` and `rules`
 * are logical-id prefixes; every one must match (a renamed construct fails here rather than
 * silently running). The returned `remove` deletes the copy.
 */
export function assemblyWithDisabled(
  assemblyDir: string,
  disabled: { readonly schedules?: readonly string[]; readonly rules?: readonly string[] },
): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'storeflow-assembly-'));
  const prefixes: Record<string, readonly string[]> = {
    'AWS::Scheduler::Schedule': disabled.schedules ?? [],
    'AWS::Events::Rule': disabled.rules ?? [],
  };
  const unmatched = new Set(Object.values(prefixes).flat());
  for (const entry of readdirSync(assemblyDir)) {
    const from = resolve(assemblyDir, entry);
    if (!entry.endsWith('.template.json')) {
      symlinkSync(from, join(dir, entry));
      continue;
    }
    const template = JSON.parse(readFileSync(from, 'utf8')) as {
      Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
    };
    for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
      const prefix = prefixes[resource.Type]?.find((s) => logicalId.startsWith(s));
      if (prefix === undefined) continue;
      unmatched.delete(prefix);
      resource.Properties = { ...resource.Properties, State: 'DISABLED' };
    }
    writeFileSync(join(dir, entry), JSON.stringify(template));
  }
  if (unmatched.size > 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`no schedule or rule in ${assemblyDir} named ${[...unmatched].join(', ')}`);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
