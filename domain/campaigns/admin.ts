import type { TaskCallbacks } from '../events/callbacks.ts';
import type { Clock } from '../shared/clock.ts';
import type { CouponLookup, CouponView, CustomerPerksSource } from '../shared/customer-perks.ts';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { idSchema, parseId } from '../shared/schemas.ts';
import { parseOrThrow } from '../shared/validation.ts';
import type { VariantCountsSource } from '../shared/variant-counts.ts';
import * as z from '../shared/zod.ts';
import { bucketOf, type CampaignGroup, pilotGroup, subjectOf, variantOf } from './assignment.ts';
import {
  type Campaign,
  FINAL_STATUSES,
  PILOT_LIVE,
  parseCampaign,
  pilotEndOf,
  sameTerms,
} from './campaign.ts';
import { type Experiment, experimentResults, sameExperimentTerms } from './experiment.ts';
import { parseExperiment } from './experiment-terms.ts';
import { CAMPAIGN_ABORTED, experimentRunName, launchRunName } from './names.ts';
import { type QuoteCampaign, quote } from './quote.ts';
import type { CampaignBudgetStore, CampaignStore, CatalogPrices, RunStarter } from './store.ts';

export interface CampaignAdminDeps {
  readonly store: CampaignStore;
  readonly budget: CampaignBudgetStore;
  readonly counts: VariantCountsSource;
  readonly callbacks: TaskCallbacks;
  readonly runs: { readonly launch: RunStarter; readonly experiment: RunStarter };
  readonly catalog: Pick<CatalogPrices, 'prices' | 'bundles'>;
  readonly perks: CustomerPerksSource;
  readonly coupons: CouponLookup;
  readonly clock: Clock;
}

const DecisionBody = z.strictObject({
  by: z
    .string('must be a string')
    .check(z.minLength(1, 'must not be empty'), z.maxLength(200, 'must be at most 200 characters')),
  reason: z.optional(z.nullable(z.string().check(z.maxLength(1000, 'must be at most 1000 characters')))),
});

export const MAX_QUOTE_LINES = 200;
const QuoteBody = z.strictObject({
  userId: idSchema(),
  items: z
    .array(
      z.strictObject({
        sku: idSchema(),
        qty: z
          .int('must be a whole number of units')
          .check(z.minimum(1, 'must be at least 1'), z.maximum(10_000, 'must be at most 10000')),
      }),
      'must be a list of { sku, qty }',
    )
    .check(
      z.minLength(1, 'must have at least one item'),
      z.maxLength(MAX_QUOTE_LINES, `must have at most ${MAX_QUOTE_LINES} items`),
    ),
  coupons: z.optional(
    z
      .array(idSchema(128), 'must be a list of coupon codes')
      .check(z.maxLength(10, 'must have at most 10 coupons')),
  ),
  orderId: z.optional(idSchema()),
  anonymousId: z.optional(idSchema()),
});

const AssignmentQuery = z.object({
  userId: idSchema(),
  anonymousId: z.optional(idSchema()),
  channel: z.optional(idSchema(64)),
});

/** The earlier of two ISO-8601 UTC instants. */
const earlier = (a: string, b: string) => (Date.parse(a) <= Date.parse(b) ? a : b);

/** The SKUs whose bundles the quote remembers to read ahead (decision 42): ~1 MB at most. */
export const READ_AHEAD_SKUS = 10_000;

/** The campaign and experiment operations API and the checkout quote (docs/rules/campaigns.md). */
export function campaignAdmin(deps: CampaignAdminDeps) {
  const nowIso = () => deps.clock.now().toISOString();
  // The quote's read-ahead (decision 42): which keys its second round read last time — the
  // bundles each SKU belonged to, the live campaigns with a budget. The next quote reads those
  // beside its first round (one batch with the prices), then only what the fresh answers name
  // and were not read ahead. Keys only: every value (price, bundle, live set, budget) is still read
  // by the quote that uses it, and what a read-ahead read that the fresh answers do not name is
  // dropped.
  const aheadBundles = new Map<string, readonly string[]>();
  let aheadBudgets: readonly string[] = [];

  async function view(c: Campaign) {
    const granted = await deps.budget.granted(c.campaignId);
    let live = null;
    if (PILOT_LIVE.includes(c.status)) {
      const now = nowIso();
      const to = earlier(now, c.pilotEnd);
      const counts = await deps.counts.variantCounts({
        kind: 'campaign',
        id: c.campaignId,
        from: c.pilotStart,
        to,
      });
      const row = (v: string) => {
        const r = counts.find((x) => x.variant === v);
        return { users: r?.users ?? 0, clicks: r?.clicks ?? 0, conversions: r?.conversions ?? 0 };
      };
      live = { pilot: row('pilot'), control: row('control'), at: to };
    }
    return {
      ...c,
      budgetGranted: c.budget
        ? { amount: granted, currency: c.budget.currency }
        : { amount: granted, currency: c.tiers[0]!.save.currency },
      live,
    };
  }

  async function mustGet(id: string) {
    const c = await deps.store.getCampaign(parseId(id, 'campaignId', 64));
    if (!c) throw new NotFoundError(`campaign ${id} does not exist`);
    return c;
  }

  async function groupOf(
    c: Pick<Campaign, 'campaignId' | 'status' | 'pilot'>,
    subject: string,
    channel?: string | null,
  ): Promise<CampaignGroup> {
    if (c.status === 'ROLLED_OUT') return 'everyone';
    if (FINAL_STATUSES.includes(c.status)) return 'none';
    return pilotGroup(c.pilot.segment, c.pilot.controlPercent, bucketOf(c.campaignId, subject), channel);
  }

  return {
    /** PUT: 201 and the launch run started; the same terms again 200; other terms 409. */
    async put(campaignId: string, body: unknown) {
      const { campaignId: id, terms } = parseCampaign(campaignId, body);
      const now = nowIso();
      const campaign: Campaign = {
        ...terms,
        campaignId: id,
        status: 'SCHEDULED',
        pilotStart: terms.start,
        pilotEnd: pilotEndOf(terms),
        lockedSkus: [],
        evaluation: null,
        decision: null,
        history: [{ status: 'SCHEDULED', at: now, by: 'api', reason: 'created' }],
        runId: launchRunName(id),
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      const created = await deps.store.createCampaign(campaign);
      const stored = created ? campaign : await deps.store.getCampaign(id);
      if (!stored) throw new ConflictError(`campaign ${id} changed while it was being saved; try again`);
      if (!created && !sameTerms(stored, terms))
        throw new ConflictError(
          `campaign ${id} exists with other terms (status ${stored.status}); its launch run snapshotted them — abort it and create another campaign`,
        );
      await deps.runs.launch.start(launchRunName(id), { campaignId: id });
      return { created, campaign: await view(stored) };
    },

    async get(campaignId: string) {
      return view(await mustGet(campaignId));
    },

    /** Approve while AWAITING_DECISION: roll out (the run carries it out). */
    async approve(campaignId: string, body: unknown) {
      const c = await mustGet(campaignId);
      const { by, reason } = parseOrThrow(DecisionBody, body ?? {});
      const at = nowIso();
      const why = reason ?? `approved by ${by}`;
      const t = await deps.store.transition(
        c.campaignId,
        ['AWAITING_DECISION'],
        'ROLLED_OUT',
        { decision: { action: 'rollout', by, reason: why, at } },
        { status: 'ROLLED_OUT', at, by, reason: why },
      );
      if (!t.moved) {
        if (t.campaign?.status === 'ROLLED_OUT' && t.campaign.decision?.by === by) return view(t.campaign);
        throw new ConflictError(
          `campaign ${c.campaignId} is ${t.campaign?.status}; only a campaign AWAITING_DECISION can be approved`,
        );
      }
      await deps.store.syncLive(t.campaign!);
      const token = await deps.store.token(c.campaignId);
      if (token) await deps.callbacks.succeed(token, { action: 'rollout', by });
      return view(t.campaign!);
    },

    /** Abort at any point before the end: ABORTED, and the run ends it cleanly. */
    async abort(campaignId: string, body: unknown) {
      const c = await mustGet(campaignId);
      const { by, reason } = parseOrThrow(DecisionBody, body ?? {});
      const at = nowIso();
      const why = reason ?? `aborted by ${by}`;
      const from = ['SCHEDULED', 'PILOT', 'EVALUATING', 'AWAITING_DECISION', 'ROLLED_OUT'] as const;
      const t = await deps.store.transition(
        c.campaignId,
        from,
        'ABORTED',
        { decision: { action: 'abort', by, reason: why, at } },
        { status: 'ABORTED', at, by, reason: why },
      );
      if (!t.moved) {
        if (t.campaign?.status === 'ABORTED') return view(t.campaign);
        throw new ConflictError(
          `campaign ${c.campaignId} is ${t.campaign?.status}; it can no longer be aborted`,
        );
      }
      await deps.store.syncLive(t.campaign!);
      const token = await deps.store.token(c.campaignId);
      if (token) await deps.callbacks.fail(token, CAMPAIGN_ABORTED, why);
      return view(t.campaign!);
    },

    /** The user's group (stable); with an anonymous id, the user is linked to it once (first link wins). */
    async assignment(campaignId: string, query: Record<string, string | undefined> | null | undefined) {
      const c = await mustGet(campaignId);
      const q = parseOrThrow(AssignmentQuery, query ?? {});
      const linked = q.anonymousId
        ? await deps.store.link(q.userId, q.anonymousId, nowIso())
        : await deps.store.linkedSubject(q.userId);
      const subject = subjectOf(q.userId, linked);
      return {
        campaignId: c.campaignId,
        userId: q.userId,
        subject,
        bucket: bucketOf(c.campaignId, subject),
        status: c.status,
        group: await groupOf(c, subject, q.channel),
      };
    },

    // --- experiments ---------------------------------------------------------------------------
    async putExperiment(experimentId: string, body: unknown) {
      const now = nowIso();
      const { experimentId: id, terms } = parseExperiment(experimentId, body, now);
      const e: Experiment = {
        ...terms,
        experimentId: id,
        start: now,
        status: 'RUNNING',
        conclusion: null,
        results: null,
        version: 1,
        createdAt: now,
        updatedAt: now,
      };
      const created = await deps.store.createExperiment(e);
      const stored = created ? e : await deps.store.getExperiment(id);
      if (!stored) throw new ConflictError(`experiment ${id} changed while it was being saved; try again`);
      if (!created && !sameExperimentTerms(stored, terms))
        throw new ConflictError(`experiment ${id} exists with other terms (status ${stored.status})`);
      await deps.runs.experiment.start(experimentRunName(id), {
        experimentId: id,
        seconds: Math.max(1, Math.ceil((Date.parse(stored.end) - Date.parse(now)) / 1000)),
      });
      return { created, experiment: await experimentView(stored) };
    },
    async getExperiment(experimentId: string) {
      const e = await deps.store.getExperiment(parseId(experimentId, 'experimentId', 64));
      if (!e) throw new NotFoundError(`experiment ${experimentId} does not exist`);
      return experimentView(e);
    },
    async experimentAssignment(e: Experiment, subject: string) {
      return variantOf(e.variants, bucketOf(e.experimentId, subject));
    },

    // --- the checkout quote --------------------------------------------------------------------
    async quote(body: unknown) {
      const q = parseOrThrow(QuoteBody, body);
      const codes = q.coupons ?? [];
      const seenCodes = new Set<string>();
      codes.forEach((code, i) => {
        if (seenCodes.has(code)) throw ValidationError.field(`coupons.${i}`, `${code} is listed twice`);
        seenCodes.add(code);
      });
      const qty = new Map<string, number>();
      q.items.forEach((i, n) => {
        if (qty.has(i.sku))
          throw ValidationError.field(`items.${n}.sku`, `${i.sku} is listed twice; give its qty once`);
        qty.set(i.sku, i.qty);
      });
      const at = nowIso();
      const guessedBundles = [...new Set([...qty.keys()].flatMap((sku) => aheadBundles.get(sku) ?? []))];
      const guessedBudgets = aheadBudgets;
      const [prices, live, linked, perks, coupons, bundlesAhead, grantsAhead] = await Promise.all([
        deps.catalog.prices([...qty.keys()]),
        deps.store.liveTerms(),
        q.anonymousId ? deps.store.link(q.userId, q.anonymousId, at) : deps.store.linkedSubject(q.userId),
        deps.perks.perksOf(q.userId),
        Promise.all(codes.map((code) => deps.coupons.findCoupon(code))),
        guessedBundles.length ? deps.catalog.bundles(guessedBundles) : Promise.resolve([]),
        Promise.all(guessedBudgets.map((id) => deps.budget.granted(id))),
      ]);
      const currency =
        [...prices.values()].find((p) => p.price)?.price?.currency ??
        live[0]?.tiers[0]?.spend.currency ??
        'CNY';
      const items = q.items.map((i, n) => {
        const p = prices.get(i.sku);
        if (!p?.price)
          throw ValidationError.field(
            `items.${n}.sku`,
            `${i.sku} has no price (unknown SKU, or no price set)`,
          );
        if (p.price.currency !== currency)
          throw ValidationError.field(
            `items.${n}.sku`,
            `${i.sku} is priced in ${p.price.currency}, the cart in ${currency}`,
          );
        return { sku: i.sku, qty: i.qty, unitPrice: p.price, category: p.category };
      });
      const found: CouponView[] = coupons.map((c, i) => {
        if (!c || c.customerId !== q.userId)
          throw ValidationError.field(`coupons.${i}`, `no coupon ${codes[i]} belongs to user ${q.userId}`);
        return c;
      });
      const bundleIds = [...new Set([...prices.values()].flatMap((p) => p.bundles))];
      const subject = subjectOf(q.userId, linked);
      const running = live.filter((c) => !FINAL_STATUSES.includes(c.status) && c.status !== 'SCHEDULED');
      const budgeted = running.filter((c) => c.budget).map((c) => c.campaignId);
      // The bundles and the live campaigns' budgets the answers name and the read-ahead missed,
      // read side by side (no call when it missed none).
      const lateBundles = bundleIds.filter((id) => !guessedBundles.includes(id));
      const lateBudgets = budgeted.filter((id) => !guessedBudgets.includes(id));
      const [bundlesLate, grantsLate] =
        lateBundles.length || lateBudgets.length
          ? await Promise.all([
              lateBundles.length ? deps.catalog.bundles(lateBundles) : Promise.resolve([]),
              Promise.all(lateBudgets.map((id) => deps.budget.granted(id))),
            ])
          : [[], []];
      const bundleById = new Map([...bundlesAhead, ...bundlesLate].map((b) => [b.bundleId, b]));
      const bundles = bundleIds.flatMap((id) => bundleById.get(id) ?? []);
      const grantOf = new Map([
        ...guessedBudgets.map((id, i) => [id, grantsAhead[i]!] as const),
        ...lateBudgets.map((id, i) => [id, grantsLate[i]!] as const),
      ]);
      const grants = running.map((c) => (c.budget ? grantOf.get(c.campaignId)! : 0));
      // What the next quote reads ahead: these SKUs' bundles (the most recent SKUs, bounded), these budgets.
      for (const sku of qty.keys()) {
        aheadBundles.delete(sku);
        aheadBundles.set(sku, prices.get(sku)?.bundles ?? []);
      }
      for (const sku of aheadBundles.keys()) {
        if (aheadBundles.size <= READ_AHEAD_SKUS) break;
        aheadBundles.delete(sku);
      }
      aheadBudgets = budgeted;
      const campaigns: QuoteCampaign[] = [];
      for (const [i, c] of running.entries()) {
        campaigns.push({
          campaignId: c.campaignId,
          name: c.name,
          tiers: c.tiers,
          skus: c.skus,
          categories: c.categories,
          group: await groupOf(c, subject),
          budgetLeft: c.budget ? Math.max(0, c.budget.amount - grants[i]!) : null,
        });
      }
      let result = quote({ currency, items, bundles, campaigns, perks, coupons: found, at });
      let reservation = null;
      if (q.orderId && result.applied) {
        const c = live.find((x) => x.campaignId === result.applied!.campaignId)!;
        if (c.budget) {
          reservation = await deps.budget.reserve(
            c.campaignId,
            q.orderId,
            result.applied.saving,
            c.budget.amount,
            at,
            result.total.amount,
          );
          if (!reservation.granted) {
            // The budget ran out under us: quote again without that campaign's tier.
            const without = campaigns.map((k) =>
              k.campaignId === c.campaignId ? { ...k, budgetLeft: 0 } : k,
            );
            result = quote({ currency, items, bundles, campaigns: without, perks, coupons: found, at });
          }
        }
      }
      return {
        userId: q.userId,
        ...(q.orderId ? { orderId: q.orderId } : {}),
        currency,
        lines: result.lines,
        subtotal: result.subtotal,
        total: result.total,
        reservation,
      };
    },
  };

  async function experimentView(e: Experiment) {
    if (e.status === 'CONCLUDED') return e;
    const now = nowIso();
    const to = earlier(now, e.end);
    const counts = await deps.counts.variantCounts({
      kind: 'experiment',
      id: e.experimentId,
      from: e.start,
      to,
    });
    return { ...e, results: experimentResults(e, counts, to) };
  }
}
export type CampaignAdmin = ReturnType<typeof campaignAdmin>;
