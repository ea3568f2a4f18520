/**
 * Rules and event buses made through the API (PutRule, PutTargets, RemoveTargets, EnableRule, DisableRule,
 * DeleteRule, CreateEventBus, DeleteEventBus): installed beside the assembly's, journaled whole (`R` / `B`
 * records, their deletions `Rx` / `Bx`) so they survive restarts and compaction, and restored at start-up.
 *
 * A change replaces the rule's runtime form: pending deliveries find the new rule (they name it by ARN and target
 * id) and its schedule keeps its next occurrence unless its expression or state changed. The assembly's rules and
 * buses stay read-only through the API (the app declares them); an API rule that the assembly now declares gives
 * way to it. Request validation is the wire layer's (protocol.ts); what arrives here is valid.
 */
import { compileRule, ruleSchedule } from './config.ts';
import type { BridgeCore, Bus, BusRecord, RuleRecord, RuleRt } from './state.ts';
import type { RuleSpec } from './types.ts';

export class RuleStore {
  constructor(private readonly core: BridgeCore) {}

  /** The ARN a rule named `name` gets on `bus`: `rule/<name>` on the default bus, `rule/<bus>/<name>` on others. */
  ruleArn(bus: Bus, name: string): string {
    const { region, account } = this.core.opts;
    return `arn:aws:events:${region}:${account}:rule/${bus.name === 'default' ? '' : `${bus.name}/`}${name}`;
  }

  /** PutRule, PutTargets, RemoveTargets, EnableRule, DisableRule: installs `spec` (compiled) and journals it. */
  async put(spec: RuleSpec, bus: Bus): Promise<RuleRt> {
    const rule = this.install(spec, bus);
    this.core.journal.append({ t: 'R', rule: spec });
    await this.core.journal.commit();
    const s = this.core.schedules.get(`rule:${spec.arn}`);
    if (s) this.core.runner.armSchedule(s);
    this.core.maybeCompact();
    return rule;
  }

  /** DeleteRule: the rule and its schedule go; its pending deliveries are dropped when they come due. */
  async delete(rule: RuleRt): Promise<void> {
    this.uninstall(rule);
    this.core.journal.append({ t: 'Rx', arn: rule.spec.arn });
    await this.core.journal.commit();
    this.core.maybeCompact();
  }

  /** CreateEventBus. */
  async createBus(name: string): Promise<Bus> {
    const { region, account } = this.core.opts;
    const bus = this.addBus(
      name,
      `arn:aws:events:${region}:${account}:event-bus/${name}`,
      this.core.clock.now(),
    );
    this.core.journal.append({ t: 'B', name: bus.name, arn: bus.arn, at: bus.created! });
    await this.core.journal.commit();
    return bus;
  }

  /** DeleteEventBus: the bus and its rules. */
  async deleteBus(bus: Bus): Promise<void> {
    for (const rule of [...bus.rules]) {
      this.uninstall(rule);
      this.core.journal.append({ t: 'Rx', arn: rule.spec.arn });
    }
    this.core.busesByName.delete(bus.name);
    this.core.busesByArn.delete(bus.arn);
    this.core.journal.append({ t: 'Bx', name: bus.name });
    await this.core.journal.commit();
    this.core.maybeCompact();
  }

  /**
   * Start-up: the API's buses and rules as their last records left them (appended records drop what can no longer
   * be installed). Runs before pending deliveries and schedules are resumed.
   */
  restore(
    buses: ReadonlyMap<string, Extract<BusRecord, { t: 'B' }>>,
    rules: ReadonlyMap<string, RuleSpec>,
  ): void {
    for (const b of buses.values()) {
      if (this.core.busesByName.has(b.name)) {
        this.core.log(`event bus ${b.name}: now declared in the cloud assembly, which replaces it`);
        this.core.journal.append({ t: 'Bx', name: b.name });
        continue;
      }
      this.addBus(b.name, b.arn, b.at);
    }
    for (const spec of rules.values()) {
      const where = `rule ${spec.name}`;
      const bus = this.core.findBus(spec.busName);
      let problem: string | undefined;
      if (this.core.rules.has(spec.arn)) problem = 'now declared in the cloud assembly, which replaces it';
      else if (!bus) problem = `its event bus ${spec.busName} no longer exists`;
      else {
        try {
          this.install(spec, bus, true);
          continue;
        } catch (e) {
          problem = `cannot run: ${e instanceof Error ? e.message : String(e)}`;
        }
      }
      this.core.log(`${where}: ${problem}`);
      this.core.journal.append({ t: 'Rx', arn: spec.arn });
    }
  }

  /** The records that recreate the API's buses and rules (for a journal rewrite). */
  *liveRecords(): Generator<RuleRecord | BusRecord> {
    for (const bus of this.core.busesByName.values()) {
      if (bus.created !== undefined && bus.name !== 'default') {
        yield { t: 'B', name: bus.name, arn: bus.arn, at: bus.created };
      }
    }
    for (const rule of this.core.rules.values()) if (rule.api) yield { t: 'R', rule: rule.spec };
  }

  private addBus(name: string, arn: string, created: number): Bus {
    const bus: Bus = { name, arn, rules: [], archives: [], created };
    this.core.busesByName.set(name, bus);
    this.core.busesByArn.set(arn, bus);
    return bus;
  }

  /**
   * Compiles and installs a rule (replacing its prior version) with its schedule, appending the schedule's state;
   * `restoring`: at start-up, where the schedule's saved state is resumed afterwards (as the assembly's are).
   */
  private install(spec: RuleSpec, bus: Bus, restoring = false): RuleRt {
    const rule = compileRule(spec, bus, true);
    const prior = this.core.rules.get(spec.arn);
    const i = prior ? bus.rules.indexOf(prior) : -1;
    if (i >= 0) bus.rules[i] = rule;
    else bus.rules.push(rule);
    this.core.rules.set(spec.arn, rule);

    const key = `rule:${spec.arn}`;
    const old = this.core.schedules.get(key);
    if (old) this.core.runner.unarmSchedule(old);
    const s = ruleSchedule(rule);
    if (s && restoring) this.core.schedules.set(key, s);
    else if (s) {
      if (old && old.fp === s.fp) {
        s.anchor = old.anchor;
        s.next = old.next;
        if (old.last !== undefined) s.last = old.last;
        s.inflight = old.inflight;
      } else this.core.runner.start(s, this.core.clock.now());
      this.core.schedules.set(key, s);
      this.core.journal.append(this.core.scheduleRecord(s));
    } else if (old) {
      this.core.schedules.delete(key);
      this.core.journal.append({ t: 'z', k: key });
    }
    return rule;
  }

  private uninstall(rule: RuleRt): void {
    const i = rule.bus.rules.indexOf(rule);
    if (i >= 0) rule.bus.rules.splice(i, 1);
    this.core.rules.delete(rule.spec.arn);
    const key = `rule:${rule.spec.arn}`;
    const s = this.core.schedules.get(key);
    if (s) {
      this.core.runner.unarmSchedule(s);
      this.core.schedules.delete(key);
      this.core.journal.append({ t: 'z', k: key });
    }
    this.core.log(`rule ${rule.spec.name} deleted`);
  }
}
