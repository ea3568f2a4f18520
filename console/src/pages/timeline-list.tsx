import type { ComponentChildren } from 'preact';
import { api, type Page, query, type TimelineLine } from '../api.ts';
import { href } from '../router.ts';
import { formatTime, Json, type Loaded, Loading, Section, useLoad } from '../ui.tsx';

/** A business key's timeline from its own endpoint (a campaign's, a customer's), newest page first. */
export function TimelineSection({ path, empty }: { path: string; empty: string }) {
  const timeline = useLoad(() => api<Page<TimelineLine>>('GET', `${path}${query({ limit: 100 })}`), [path]);
  const items = timeline.data?.items ?? [];
  return (
    <Section title="Timeline">
      <Loading loaded={timeline} />
      {timeline.data ? (
        <ol class="timeline" data-testid="timeline">
          {items.length === 0 ? <li class="muted">{empty}</li> : null}
          {items.map((line, i) => (
            <li key={`${line.at}-${i}`} class={`line kind-${line.kind}`}>
              <time>{formatTime(line.at)}</time>
              <span class="kind">{line.kind}</span>
              <strong>{line.name}</strong>
              <Json value={line.detail} summary="detail" />
            </li>
          ))}
        </ol>
      ) : null}
    </Section>
  );
}

/**
 * One record's page (a campaign, an experiment, a customer): the crumbs back to its section, the
 * heading, the load state, what the page shows once loaded (`children`, which the caller renders
 * only when the record is there), and, when the record has one, its timeline under it.
 */
export function RecordPage(props: {
  /** the `data-page` name */
  page: string;
  /** the section's route and label (`campaigns`, `Campaigns`) */
  section: readonly [route: string, label: string];
  id: string;
  heading: ComponentChildren;
  loaded: Loaded<unknown>;
  timeline?: { path: string; empty: string };
  children: ComponentChildren;
}) {
  return (
    <div data-page={props.page}>
      <p class="crumbs">
        <a href={href([props.section[0]])}>{props.section[1]}</a> / {props.id}
      </p>
      <h1>{props.heading}</h1>
      <Loading loaded={props.loaded} />
      {props.children}
      {props.timeline ? <TimelineSection path={props.timeline.path} empty={props.timeline.empty} /> : null}
    </div>
  );
}
