// Schema migrations, applied in order under an advisory lock so several masters can start at once.
import { RECOMPUTE_RUN_FAMILIES } from './run-family';
import { countEndsSql, FILL_RUN_OUTCOMES } from './run-outcomes';
import type { Db } from './store';

const MIGRATIONS: Array<{ id: number; name: string; sql: string }> = [
  {
    id: 1,
    name: 'core',
    sql: `
create table groups (
  id text primary key,
  name text not null unique,
  description text not null default '',
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  updated_by text not null default 'system'
);

create table workers (
  id text primary key,
  name text not null,
  group_id text not null references groups(id),
  host text not null,
  ip text not null default '',
  version text not null,
  labels jsonb not null default '{}',
  handlers text[] not null default '{}',
  capacity int not null,
  admin_state text not null default 'enabled' check (admin_state in ('enabled', 'disabled', 'draining')),
  online boolean not null default false,
  last_heartbeat_at timestamptz,
  metrics jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  updated_by text not null default 'system',
  unique (group_id, name)
);

create table tasks (
  id text primary key,
  name text not null,
  group_id text not null references groups(id),
  description text not null default '',
  handler text not null,
  params jsonb not null default '{}',
  trigger jsonb not null,
  misfire jsonb not null,
  routing jsonb not null,
  blocking jsonb not null,
  timeout_ms int not null default 0,
  retry jsonb not null,
  queue_timeout_ms int not null default 30000,
  start_at timestamptz,
  end_at timestamptz,
  enabled boolean not null default true,
  next_fire_at timestamptz,
  rr_cursor int not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  updated_by text not null default 'system',
  unique (group_id, name)
);
create index tasks_due on tasks (next_fire_at) where enabled and next_fire_at is not null;

create table runs (
  id text primary key,
  task_id text not null references tasks(id) on delete cascade,
  root_run_id text not null,
  attempt int not null,
  trigger text not null,
  parent_run_id text,
  worker_id text,
  worker_name text,
  shard_index int not null default 0,
  shard_total int not null default 1,
  trace_id text not null,
  state text not null,
  params jsonb,
  planned_at timestamptz not null,
  created_at timestamptz not null default now(),
  queued_at timestamptz,
  assigned_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  exit_code int,
  output text not null default '',
  error text,
  reason text,
  log_lines int not null default 0
);
create index runs_by_task on runs (task_id, created_at desc);
create index runs_recent on runs (created_at desc);
create index runs_active on runs (state) where state in ('scheduled', 'queued', 'assigned', 'running');
-- One run per planned fire and shard: two masters (or a restart mid-fire) cannot fire the same tick twice.
create unique index runs_one_per_fire on runs (task_id, planned_at, shard_index)
  where trigger in ('schedule', 'misfire') and attempt = 1;

create table run_logs (
  run_id text not null references runs(id) on delete cascade,
  seq int not null,
  stream text not null,
  lines text[] not null,
  at timestamptz not null default now(),
  primary key (run_id, seq)
);

create table agent_tokens (
  id text primary key,
  label text not null,
  hash text not null,
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  last_used_at timestamptz
);

create table settings (
  key text primary key,
  value jsonb not null
);
`,
  },
  {
    id: 2,
    name: 'api keys',
    sql: `
alter table agent_tokens rename to tokens;
alter table tokens add column scope text not null default 'agent' check (scope in ('agent', 'api'));
`,
  },
  {
    id: 3,
    name: 'masters and leadership',
    sql: `
create table masters (
  id text primary key,
  url text not null,
  started_at timestamptz not null default now(),
  seen_at timestamptz not null default now()
);

create table leadership (
  singleton boolean primary key default true check (singleton),
  master_id text not null,
  term bigint not null,
  expires_at timestamptz not null
);
`,
  },
  {
    id: 4,
    name: 'task alerts',
    sql: `
alter table tasks add column alerts jsonb not null default '{"on": [], "email": [], "webhook": null}';
`,
  },
  {
    id: 5,
    name: 'run leases: late results, reassignment limit',
    sql: `
alter table runs add column late jsonb;
update tasks set retry = retry || '{"reassign": 3}'::jsonb where not (retry ? 'reassign');
`,
  },
  {
    id: 6,
    name: 'api key scopes',
    // Every key made before scopes existed could do everything, so it keeps doing so as an admin key.
    sql: `
alter table tokens drop constraint tokens_scope_check;
update tokens set scope = 'admin' where scope = 'api';
alter table tokens add constraint tokens_scope_check check (scope in ('agent', 'read', 'operate', 'admin'));
`,
  },
  {
    id: 7,
    name: 'declared trigger params',
    sql: `
alter table tasks add column trigger_params jsonb not null default '{}';
`,
  },
  {
    id: 8,
    name: 'agent identity and log bytes',
    // Agent tokens were good for any name in any group; they become enrolment tokens that may join any group that
    // exists (group_id null) but no longer create one. Operators replace them with group-bound ones (README).
    sql: `
create table enrolments (
  id text primary key,
  label text not null,
  group_id text references groups(id) on delete cascade,
  hash text not null,
  single_use boolean not null default false,
  expires_at timestamptz,
  uses int not null default 0,
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  last_used_at timestamptz
);

create table agent_credentials (
  id text primary key,
  group_id text not null references groups(id) on delete cascade,
  worker_name text not null,
  enrolment_id text references enrolments(id) on delete set null,
  hash text not null,
  created_at timestamptz not null default now(),
  revoked_at timestamptz,
  last_used_at timestamptz
);
-- One live credential per worker identity: no other credential can take a name that is in use.
create unique index agent_credentials_one_per_worker on agent_credentials (group_id, worker_name) where revoked_at is null;

insert into enrolments (id, label, group_id, hash, created_at, revoked_at, last_used_at)
  select id, label || ' (was an agent token)', null, hash, created_at, revoked_at, last_used_at from tokens where scope = 'agent';
delete from tokens where scope = 'agent';

alter table runs add column log_bytes bigint not null default 0;
alter table runs add column log_truncated boolean not null default false;

-- Agent tokens are gone (enrolment tokens and credentials replace them): the tokens table holds API keys only.
alter table tokens drop constraint tokens_scope_check;
alter table tokens add constraint tokens_scope_check check (scope in ('read', 'operate', 'admin'));
`,
  },
  {
    id: 9,
    name: 'run transitions, console events and run queries',
    // Issue 8. Triggers, not callers, record transitions and announce changes: every write path (batched dispatch,
    // endings, stops, any master) is covered, each statement adds one multi-row insert and one NOTIFY, and the
    // NOTIFY is delivered only when the write commits. Payloads stay small (ids, or an id range) and below
    // PostgreSQL's 8000-byte limit; a master reads the details only when a console watches them (events/feed.ts).
    sql: `
create table run_transitions (
  id bigint generated always as identity primary key,
  run_id text not null references runs(id) on delete cascade,
  attempt int not null,
  state text not null,
  at timestamptz not null,
  worker_name text,
  reason text
);
create index run_transitions_of_run on run_transitions (run_id, id);

create function baton_notify(kind text, ids text[]) returns void language plpgsql as $$
declare payload text;
begin
  if ids is null or cardinality(ids) = 0 then return; end if;
  payload := json_build_object(kind, ids)::text;
  -- Too many to name: the listener reads everything of that kind again.
  if octet_length(payload) > 7900 then payload := json_build_object(kind, null)::text; end if;
  perform pg_notify('baton_console', payload);
end $$;

create function baton_run_transitions() returns trigger language plpgsql as $$
declare lo bigint; hi bigint; touched text[];
begin
  if TG_OP = 'INSERT' then
    with ins as (
      insert into run_transitions (run_id, attempt, state, at, worker_name, reason)
      select id, attempt, state, coalesce(finished_at, assigned_at, queued_at, created_at), worker_name, reason from new_rows
      returning id)
    select min(id), max(id) into lo, hi from ins;
  else
    with ins as (
      insert into run_transitions (run_id, attempt, state, at, worker_name, reason)
      select n.id, n.attempt, n.state,
        case when n.state = 'running' then coalesce(n.started_at, now())
             when n.state in ('succeeded', 'failed', 'timed_out', 'cancelled', 'lost', 'skipped') then coalesce(n.finished_at, now())
             else now() end,
        n.worker_name, n.reason
      from new_rows n join old_rows o on o.id = n.id where o.state is distinct from n.state
      returning id)
    select min(id), max(id) into lo, hi from ins;
    -- Changes without a transition (a late result, a shard count) are announced by id.
    select array_agg(n.id) into touched from new_rows n join old_rows o on o.id = n.id
      where o.state is not distinct from n.state and (o.late is distinct from n.late or o.shard_total <> n.shard_total);
    perform baton_notify('u', touched);
  end if;
  if lo is not null then perform pg_notify('baton_console', json_build_object('r', json_build_array(lo, hi))::text); end if;
  return null;
end $$;
create trigger runs_inserted after insert on runs referencing new table as new_rows
  for each statement execute function baton_run_transitions();
create trigger runs_updated after update on runs referencing old table as old_rows new table as new_rows
  for each statement execute function baton_run_transitions();

create function baton_log_batches() returns trigger language plpgsql as $$
declare payload text;
begin
  select json_build_object('l', json_agg(json_build_array(run_id, seq)))::text into payload from new_rows;
  if payload is null then return null; end if;
  if octet_length(payload) > 7900 then payload := json_build_object('l', null)::text; end if;
  perform pg_notify('baton_console', payload);
  return null;
end $$;
create trigger run_logs_inserted after insert on run_logs referencing new table as new_rows
  for each statement execute function baton_log_batches();

-- One function per table and operation kind: a statement trigger sees only the transition tables it declares.
create function baton_rows_added() returns trigger language plpgsql as $$
begin
  perform baton_notify(TG_ARGV[0], (select array_agg(id) from new_rows));
  return null;
end $$;
create function baton_rows_removed() returns trigger language plpgsql as $$
begin
  perform baton_notify(TG_ARGV[0] || '-', (select array_agg(id) from old_rows));
  return null;
end $$;
create function baton_rows_changed() returns trigger language plpgsql as $$
begin
  -- Columns that move on every fire (next fire, round-robin cursor) are the scheduler's bookkeeping, not news.
  perform baton_notify(TG_ARGV[0], (select array_agg(n.id) from new_rows n join old_rows o on o.id = n.id
    where to_jsonb(n) - '{next_fire_at,rr_cursor,updated_at}'::text[] is distinct from to_jsonb(o) - '{next_fire_at,rr_cursor,updated_at}'::text[]));
  return null;
end $$;
create trigger workers_added after insert on workers referencing new table as new_rows for each statement execute function baton_rows_added('w');
create trigger workers_changed after update on workers referencing old table as old_rows new table as new_rows for each statement execute function baton_rows_changed('w');
create trigger workers_removed after delete on workers referencing old table as old_rows for each statement execute function baton_rows_removed('w');
create trigger tasks_added after insert on tasks referencing new table as new_rows for each statement execute function baton_rows_added('t');
create trigger tasks_changed after update on tasks referencing old table as old_rows new table as new_rows for each statement execute function baton_rows_changed('t');
create trigger tasks_removed after delete on tasks referencing old table as old_rows for each statement execute function baton_rows_removed('t');
create trigger groups_added after insert on groups referencing new table as new_rows for each statement execute function baton_rows_added('g');
create trigger groups_changed after update on groups referencing old table as old_rows new table as new_rows for each statement execute function baton_rows_changed('g');
create trigger groups_removed after delete on groups referencing old table as old_rows for each statement execute function baton_rows_removed('g');

-- runs.page walks root runs (first attempts) newest first by (created_at, id) and looks up each one's attempts.
create index runs_roots_recent on runs (created_at desc, id desc) where id = root_run_id;
create index runs_roots_by_task on runs (task_id, created_at desc, id desc) where id = root_run_id;
create index runs_family on runs (root_run_id, attempt desc);
create index runs_by_worker on runs (worker_id, root_run_id);
create index runs_by_state on runs (state, root_run_id);
create index runs_children on runs (parent_run_id) where parent_run_id is not null;

-- Text search in output and error: trigram indexes where the server has pg_trgm (bundled with the embedded
-- PostgreSQL; an external server without it searches by scanning, slower but the same answers).
do $$
begin
  create extension if not exists pg_trgm;
  create index runs_output_trgm on runs using gin (output gin_trgm_ops);
  create index runs_error_trgm on runs using gin (error gin_trgm_ops);
exception when others then
  raise notice 'pg_trgm unavailable (%): text search in runs scans', sqlerrm;
end $$;
`,
  },
  {
    id: 10,
    name: 'archived tasks',
    // Deleting a task archives it (issue 8): its runs stay, it never fires, and its name is free for a new task.
    sql: `
alter table tasks add column archived_at timestamptz;
alter table tasks drop constraint tasks_group_id_name_key;
create unique index tasks_live_name on tasks (group_id, name) where archived_at is null;
`,
  },
  {
    id: 11,
    name: 'worker samples and dashboard indexes',
    // Samples: one row per worker about every 10 s (issue 8), pruned by the leader; dropped with their worker.
    // The indexes serve the worker page (its newest runs) and the dashboard (runs finished in the last day).
    sql: `
create table worker_samples (
  worker_id text not null references workers(id) on delete cascade,
  at timestamptz not null,
  cpu real not null,
  memory real not null,
  load1 real not null,
  running int not null,
  primary key (worker_id, at)
);
create index worker_samples_at on worker_samples (at);
create index runs_of_worker_newest on runs (worker_id, id desc) where worker_id is not null;
create index runs_finished on runs (finished_at) where finished_at is not null;
`,
  },
  {
    // Issue 10: alert channels configured once, rules that name them, and an outbox that groups alerts into
    // messages. Each task's own email/webhook settings become channels and a task rule, so nobody's setup is lost.
    id: 12,
    name: 'alert channels and rules',
    sql: `
create table alert_channels (
  id text primary key,
  name text not null unique,
  kind text not null check (kind in ('email', 'webhook', 'slack', 'teams', 'dingtalk', 'feishu')),
  config jsonb not null,
  secret text,
  template text,
  enabled boolean not null default true,
  last_success_at timestamptz,
  last_error text,
  last_error_at timestamptz,
  failures int not null default 0,
  next_retry_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  updated_by text not null default 'system'
);

create table alert_rules (
  id text primary key,
  scope_type text not null check (scope_type in ('all', 'group', 'task')),
  scope_id text,
  reasons text[] not null,
  attempts text not null check (attempts in ('final', 'every')),
  queue_wait_ms int not null,
  channels text[] not null,
  enabled boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  updated_by text not null default 'system'
);

create table alert_settings (
  id int primary key check (id = 1),
  console_url text,
  window_ms int not null default 300000
);
insert into alert_settings (id) values (1);

-- One row per alert and channel; the delivery loop groups a channel's pending rows into messages.
create table alert_outbox (
  id bigserial primary key,
  channel_id text not null references alert_channels(id) on delete cascade,
  event jsonb not null,
  at timestamptz not null,
  sent_at timestamptz
);
create index alert_outbox_pending on alert_outbox (channel_id, id) where sent_at is null;

insert into alert_channels (id, name, kind, config, updated_by)
  select 'alc_' || id || '_e', 'task-' || id || '-email', 'email', jsonb_build_object('to', alerts->'email'), 'migration'
  from tasks where jsonb_array_length(alerts->'on') > 0 and jsonb_array_length(alerts->'email') > 0;
insert into alert_channels (id, name, kind, config, updated_by)
  select 'alc_' || id || '_w', 'task-' || id || '-webhook', 'webhook', jsonb_build_object('url', alerts->>'webhook'), 'migration'
  from tasks where jsonb_array_length(alerts->'on') > 0 and jsonb_typeof(alerts->'webhook') = 'string';
insert into alert_rules (id, scope_type, scope_id, reasons, attempts, queue_wait_ms, channels, updated_by)
  select 'alr_' || id, 'task', id, array(select 'run_' || state from jsonb_array_elements_text(alerts->'on') as state), 'final', 60000,
    array_remove(array[
      case when jsonb_array_length(alerts->'email') > 0 then 'task-' || id || '-email' end,
      case when jsonb_typeof(alerts->'webhook') = 'string' then 'task-' || id || '-webhook' end
    ], null), 'migration'
  from tasks where jsonb_array_length(alerts->'on') > 0;
update tasks set alerts = '{"on": [], "email": [], "webhook": null}' where jsonb_array_length(alerts->'on') > 0;
`,
  },
  {
    id: 13,
    name: 'handler catalogue per group',
    sql: `
-- Every handler the agents of a group announced, with its params schema (JSON Schema; null: not announced) and
-- the last time an agent offered it: tasks are checked against it (issue 9).
create table handler_catalogue (
  group_id text not null references groups(id) on delete cascade,
  name text not null,
  params_schema jsonb,
  offered_by text not null,
  first_seen_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now(),
  primary key (group_id, name)
);
`,
  },
  {
    id: 14,
    name: 'newest attempt and workers of each run family',
    // Issue 8 (bench/runs-query, bench/dashboard): the runs list filters root runs by the state of their newest
    // attempt and by the workers of any attempt, and the dashboard counts each run once, as its newest attempt, when
    // that ended; computed per root these took up to 7.9 s (runs list) and 2.3 s (dashboard) on 1,000,000 runs. Each
    // root keeps them, set by triggers in the statement that changes an attempt, so every write path and every master
    // is covered.
    sql: `
alter table runs add column newest_state text, add column newest_started_at timestamptz,
  add column newest_finished_at timestamptz, add column family_workers text[];
${RECOMPUTE_RUN_FAMILIES};

-- A root's own change (and a touch from the statement trigger below, which sets newest_state to null) reads its
-- family: one probe of runs_family, usually finding nothing but the root itself.
create function baton_run_family() returns trigger language plpgsql as $$
begin
  with f as (
    select attempt, id, state, worker_id, started_at, finished_at from runs where root_run_id = new.id and id <> new.id
    union all select new.attempt, new.id, new.state, new.worker_id, new.started_at, new.finished_at)
  select n.state, n.started_at, n.finished_at,
    (select coalesce(array_agg(distinct worker_id order by worker_id) filter (where worker_id is not null), '{}') from f)
  from (select * from f order by attempt desc, id desc limit 1) n
  into new.newest_state, new.newest_started_at, new.newest_finished_at, new.family_workers;
  return new;
end $$;
create trigger runs_family_inserted before insert on runs for each row
  when (new.id = new.root_run_id) execute function baton_run_family();
create trigger runs_family_updated before update on runs for each row
  when (new.id = new.root_run_id and (new.newest_state is null or old.state is distinct from new.state
    or old.worker_id is distinct from new.worker_id)) execute function baton_run_family();

-- A later attempt (a retry, a reassignment, an operator's retry) that is added, changes state or worker, or is
-- deleted touches its root, whose row trigger then reads the family again.
create function baton_run_family_touch() returns trigger language plpgsql as $$
declare roots text[];
begin
  if TG_OP = 'INSERT' then
    select array_agg(distinct root_run_id) into roots from new_rows where id <> root_run_id;
  elsif TG_OP = 'UPDATE' then
    select array_agg(distinct n.root_run_id) into roots from new_rows n join old_rows o on o.id = n.id
      where n.id <> n.root_run_id and (o.state is distinct from n.state or o.worker_id is distinct from n.worker_id);
  else
    select array_agg(distinct root_run_id) into roots from old_rows where id <> root_run_id;
  end if;
  -- Only when there is a root to touch: a statement trigger fires on every update, even of no rows, so an
  -- unconditional touch would trigger itself without end.
  if roots is not null then update runs set newest_state = null where id = any(roots); end if;
  return null;
end $$;
create trigger runs_family_touch_inserted after insert on runs referencing new table as new_rows
  for each statement execute function baton_run_family_touch();
create trigger runs_family_touch_updated after update on runs referencing old table as old_rows new table as new_rows
  for each statement execute function baton_run_family_touch();
create trigger runs_family_touch_deleted after delete on runs referencing old table as old_rows
  for each statement execute function baton_run_family_touch();

-- The runs list's state filter walks this index newest first (or counts a rare state in it); the worker filter reads
-- the roots that name the worker.
create index runs_roots_by_newest_state on runs (newest_state, created_at desc, id desc) where id = root_run_id;
create index runs_roots_by_worker on runs using gin (family_workers) where id = root_run_id;
-- The dashboard reads the runs that ended in its day window from this index alone (newest first, with what it counts).
create index runs_roots_ended on runs (newest_finished_at) include (newest_state, newest_started_at, task_id)
  where id = root_run_id and newest_finished_at is not null;
-- Counting a trigger filter's matches (up to the list's 10,000) from the index alone, not one heap row per root.
create index runs_roots_by_trigger on runs (trigger, created_at desc, id desc) where id = root_run_id;
-- Migration 9's indexes for the per-attempt state and worker filters serve nothing now; every write paid for them.
drop index runs_by_state;
drop index runs_by_worker;
`,
  },
  {
    id: 16,
    name: 'workflow joins',
    // A child with several parents joins per generation (one fire of the root task): which parents ended how, and
    // whether the child fired (its run) or the generation ended for it. Parent outputs stay in their runs' rows.
    sql: `
create table workflow_parents (
  child_task_id text not null references tasks(id) on delete cascade,
  generation text not null,
  parent_task_id text not null,
  parent_run_id text not null,
  parent_state text not null,
  recorded_at timestamptz not null default now(),
  primary key (child_task_id, generation, parent_task_id)
);

create table workflow_children (
  child_task_id text not null references tasks(id) on delete cascade,
  generation text not null,
  outcome text not null check (outcome in ('fire', 'end')),
  reason text,
  run_id text,
  decided_at timestamptz not null default now(),
  primary key (child_task_id, generation)
);
create index workflow_parents_by_run on workflow_parents (parent_run_id);
create index workflow_children_unfired on workflow_children (decided_at) where outcome = 'fire' and run_id is null;

update tasks set trigger = trigger || '{"join": "all_succeeded"}'::jsonb where trigger->>'type' = 'parent' and not trigger ? 'join';
`,
  },
  {
    id: 17,
    name: 'retention of workflow rows',
    // Issue 11: pruning removes the join records of the runs it deletes, batch by batch; without these, every batch
    // scanned the whole table.
    sql: `
create index workflow_children_by_run on workflow_children (run_id) where run_id is not null;
create index workflow_children_by_generation on workflow_children (generation) where outcome = 'end';
`,
  },
  {
    id: 18,
    name: 'one queue_wait alert per run and channel',
    // A run waiting past a rule's limit is told while it waits (the leader looks every second) and again seen when it
    // ends: this index keeps the first and turns the repeats into nothing (insert ... on conflict do nothing).
    sql: `
delete from alert_outbox a using alert_outbox b
  where a.event->>'reason' = 'queue_wait' and b.event->>'reason' = 'queue_wait' and a.channel_id = b.channel_id
    and a.event->>'runId' = b.event->>'runId' and a.id > b.id;
create unique index alert_outbox_one_queue_wait on alert_outbox (channel_id, (event->>'runId')) where event->>'reason' = 'queue_wait';
`,
  },
  {
    id: 19,
    name: 'workers of each run family as rows',
    // Issue 8 (bench/runs-query): a worker's families read through the GIN index on family_workers cost a heap row
    // per root, every root of the worker for the page (sorted for the newest 50) and up to 10,000 for the count
    // (p95 307 ms on 1,000,000 runs); GIN has no order and no index-only scans. One row per (worker, root) with the
    // root's creation time, in a B-tree, gives the page newest first and the count from the index alone. Kept by
    // triggers on the root's family_workers (which migration 14's triggers keep), so every write path and every
    // master is covered; one index only (no foreign key, whose cascade would need a second one by root): the root's
    // own delete removes its rows.
    sql: `
create table run_family_workers (
  worker_id text not null,
  created_at timestamptz not null,
  root_run_id text not null,
  primary key (worker_id, created_at, root_run_id)
);
insert into run_family_workers (worker_id, created_at, root_run_id)
  select distinct w, created_at, id from runs, unnest(family_workers) w where id = root_run_id;

create function baton_run_family_workers() returns trigger language plpgsql as $$
declare
  was text[] := case when TG_OP = 'INSERT' then '{}' else coalesce(old.family_workers, '{}') end;
  now_ text[] := case when TG_OP = 'DELETE' then '{}' else coalesce(new.family_workers, '{}') end;
  root text := case when TG_OP = 'DELETE' then old.id else new.id end;
  created timestamptz := case when TG_OP = 'DELETE' then old.created_at else new.created_at end;
begin
  delete from run_family_workers
    where worker_id = any(was) and not worker_id = any(now_) and created_at = created and root_run_id = root;
  insert into run_family_workers (worker_id, created_at, root_run_id)
    select distinct w, created, root from unnest(now_) w where not w = any(was)
    on conflict do nothing;
  return null;
end $$;
create trigger runs_family_workers_inserted after insert on runs for each row
  when (new.id = new.root_run_id and cardinality(new.family_workers) > 0) execute function baton_run_family_workers();
create trigger runs_family_workers_updated after update on runs for each row
  when (new.id = new.root_run_id and old.family_workers is distinct from new.family_workers)
  execute function baton_run_family_workers();
create trigger runs_family_workers_deleted after delete on runs for each row
  when (old.id = old.root_run_id and cardinality(old.family_workers) > 0) execute function baton_run_family_workers();
`,
  },
  {
    id: 20,
    name: 'dashboard rollups of ended runs',
    // Issue 8 (bench/dashboard): dashboard.summary read the ~30,000 root runs ended in its day window on every call
    // (p95 247 ms over HTTP on 1,000,000 runs). These rollups hold runs per minute by final state and, per task and
    // 10 minutes, the runs ended, failed and the last failure: the day reads at most 1,440 + 144 x tasks rows. A
    // statement trigger on runs adds a root run when its kept newest attempt (migration 14) ends and takes it away
    // when that changes (a retry starts) or the root is deleted (retention), so rows live exactly as long as their
    // runs and a rollup always says what the runs table says. See db/run-outcomes.ts.
    sql: `
create table run_outcomes_by_minute (
  minute bigint not null,
  state text not null,
  runs int not null,
  primary key (minute, state)
);
create table run_failures_by_task (
  slot bigint not null,
  task_id text not null,
  ended int not null,
  failures int not null,
  last_failure_at timestamptz,
  primary key (slot, task_id)
);
${FILL_RUN_OUTCOMES}

create type baton_run_end as (state text, finished_at timestamptz, task_id text, n int);
create function baton_run_outcomes() returns trigger language plpgsql as $$
declare ends baton_run_end[];
begin
  if TG_OP = 'INSERT' then
    select array_agg((newest_state, newest_finished_at, task_id, 1)::baton_run_end) into ends
      from new_rows where id = root_run_id and newest_finished_at is not null;
  elsif TG_OP = 'UPDATE' then
    select array_agg(e) into ends from (
      select unnest(array[(o.newest_state, o.newest_finished_at, o.task_id, -1)::baton_run_end,
                          (n.newest_state, n.newest_finished_at, n.task_id, 1)::baton_run_end]) as e
      from old_rows o join new_rows n on n.id = o.id
      where n.id = n.root_run_id and (o.newest_finished_at is not null or n.newest_finished_at is not null)
        and (o.newest_state, o.newest_finished_at, o.task_id) is distinct from (n.newest_state, n.newest_finished_at, n.task_id)) x
    where (e).finished_at is not null;
  else
    select array_agg((newest_state, newest_finished_at, task_id, -1)::baton_run_end) into ends
      from old_rows where id = root_run_id and newest_finished_at is not null;
  end if;
  -- Only when a root's end changed: most statements (a lease renewed, a log line counted) change none.
  if ends is null then return null; end if;
  ${countEndsSql('unnest(ends)')}
  return null;
end $$;
create trigger runs_outcomes_inserted after insert on runs referencing new table as new_rows
  for each statement execute function baton_run_outcomes();
create trigger runs_outcomes_updated after update on runs referencing old table as old_rows new table as new_rows
  for each statement execute function baton_run_outcomes();
create trigger runs_outcomes_deleted after delete on runs referencing old table as old_rows
  for each statement execute function baton_run_outcomes();
`,
  },
  {
    id: 21,
    name: 'leaner run writes',
    // Issue 11: at 1,000 fires a second the database, not the master, fell behind (bench/lateness). A run that ends
    // within a second of starting is now written without its running mark (db/held-starts.ts): its end records the
    // running step at started_at. A first attempt with no other attempt (nearly every run) keeps its family columns
    // from its own row instead of reading its family; runs_recent goes, and the trigram indexes skip runs without text.
    sql: `
create or replace function baton_run_transitions() returns trigger language plpgsql as $$
declare lo bigint; hi bigint; touched text[];
begin
  if TG_OP = 'INSERT' then
    with ins as (
      insert into run_transitions (run_id, attempt, state, at, worker_name, reason)
      select id, attempt, state, coalesce(finished_at, assigned_at, queued_at, created_at), worker_name, reason from new_rows
      returning id)
    select min(id), max(id) into lo, hi from ins;
  else
    with steps as (
      select n.id as run_id, n.attempt, 'running' as state, n.started_at as at, n.worker_name, null::text as reason, 0 as step
      from new_rows n join old_rows o on o.id = n.id
      where o.state = 'assigned' and n.state in ('succeeded', 'failed', 'timed_out', 'cancelled', 'lost') and n.started_at is not null
      union all
      select n.id, n.attempt, n.state,
        case when n.state = 'running' then coalesce(n.started_at, now())
             when n.state in ('succeeded', 'failed', 'timed_out', 'cancelled', 'lost', 'skipped') then coalesce(n.finished_at, now())
             else now() end,
        n.worker_name, n.reason, 1
      from new_rows n join old_rows o on o.id = n.id where o.state is distinct from n.state),
    ins as (
      insert into run_transitions (run_id, attempt, state, at, worker_name, reason)
      select run_id, attempt, state, at, worker_name, reason from steps order by run_id, step
      returning id)
    select min(id), max(id) into lo, hi from ins;
    -- Changes without a transition (a late result, a shard count) are announced by id.
    select array_agg(n.id) into touched from new_rows n join old_rows o on o.id = n.id
      where o.state is not distinct from n.state and (o.late is distinct from n.late or o.shard_total <> n.shard_total);
    perform baton_notify('u', touched);
  end if;
  if lo is not null then perform pg_notify('baton_console', json_build_object('r', json_build_array(lo, hi))::text); end if;
  return null;
end $$;

-- Every write of a run paid for runs_recent; its one reader (recent latency per worker) reads runs_finished now.
drop index runs_recent;

-- Trigram indexes only over text there is: a run's versions before it ends have no output and no error, and GIN
-- indexes an empty or null value too. Where pg_trgm is missing (migration 9) there is nothing to replace.
do $$
begin
  if exists (select 1 from pg_indexes where indexname = 'runs_output_trgm') then
    drop index runs_output_trgm;
    drop index runs_error_trgm;
    create index runs_output_trgm on runs using gin (output gin_trgm_ops) where output <> '';
    create index runs_error_trgm on runs using gin (error gin_trgm_ops) where error is not null;
  end if;
end $$;

create or replace function baton_run_family() returns trigger language plpgsql as $$
begin
  if not exists (select 1 from runs where root_run_id = new.id and id <> new.id) then
    new.newest_state := new.state;
    new.newest_started_at := new.started_at;
    new.newest_finished_at := new.finished_at;
    new.family_workers := case when new.worker_id is null then '{}'::text[] else array[new.worker_id] end;
    return new;
  end if;
  with f as (
    select attempt, id, state, worker_id, started_at, finished_at from runs where root_run_id = new.id and id <> new.id
    union all select new.attempt, new.id, new.state, new.worker_id, new.started_at, new.finished_at)
  select n.state, n.started_at, n.finished_at,
    (select coalesce(array_agg(distinct worker_id order by worker_id) filter (where worker_id is not null), '{}') from f)
  from (select * from f order by attempt desc, id desc limit 1) n
  into new.newest_state, new.newest_started_at, new.newest_finished_at, new.family_workers;
  return new;
end $$;
`,
  },
  {
    id: 22,
    name: 'worker rows kept per statement',
    // Issue 11: migration 19's row triggers ran a function for every run inserted with a worker (nearly every run) and
    // took a sixth of an insert's time (bench/lateness). The same rows, kept by one statement per write batch.
    sql: `
drop trigger runs_family_workers_inserted on runs;
drop trigger runs_family_workers_updated on runs;
drop trigger runs_family_workers_deleted on runs;
drop function baton_run_family_workers();

create function baton_run_family_workers_added() returns trigger language plpgsql as $$
begin
  insert into run_family_workers (worker_id, created_at, root_run_id)
    select distinct w, n.created_at, n.id from new_rows n, unnest(n.family_workers) w where n.id = n.root_run_id
    on conflict do nothing;
  return null;
end $$;
create function baton_run_family_workers_changed() returns trigger language plpgsql as $$
begin
  with changed as (
    select n.id, n.created_at, coalesce(o.family_workers, '{}') as was, coalesce(n.family_workers, '{}') as now_
    from old_rows o join new_rows n on n.id = o.id
    where n.id = n.root_run_id and o.family_workers is distinct from n.family_workers),
  gone as (
    delete from run_family_workers f using changed c, unnest(c.was) w
    where not w = any(c.now_) and f.worker_id = w and f.created_at = c.created_at and f.root_run_id = c.id)
  insert into run_family_workers (worker_id, created_at, root_run_id)
    select distinct w, c.created_at, c.id from changed c, unnest(c.now_) w where not w = any(c.was)
    on conflict do nothing;
  return null;
end $$;
create function baton_run_family_workers_removed() returns trigger language plpgsql as $$
begin
  delete from run_family_workers f using old_rows o, unnest(o.family_workers) w
    where o.id = o.root_run_id and f.worker_id = w and f.created_at = o.created_at and f.root_run_id = o.id;
  return null;
end $$;
create trigger runs_family_workers_inserted after insert on runs referencing new table as new_rows
  for each statement execute function baton_run_family_workers_added();
create trigger runs_family_workers_updated after update on runs referencing old table as old_rows new table as new_rows
  for each statement execute function baton_run_family_workers_changed();
create trigger runs_family_workers_deleted after delete on runs referencing old table as old_rows
  for each statement execute function baton_run_family_workers_removed();
`,
  },
];

// Arbitrary but fixed: the advisory lock key that serialises migrations across masters.
const MIGRATION_LOCK = 7_070_001;

export async function migrate(db: Db): Promise<number[]> {
  const client = await db.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    await client.query(`create table if not exists baton_migrations (
      id int primary key, name text not null, applied_at timestamptz not null default now())`);
    const { rows } = await client.query<{ id: number }>('select id from baton_migrations');
    const done = new Set(rows.map((r) => r.id));
    const applied: number[] = [];
    for (const m of MIGRATIONS.filter((m) => !done.has(m.id))) {
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query('insert into baton_migrations (id, name) values ($1, $2)', [m.id, m.name]);
        await client.query('COMMIT');
        applied.push(m.id);
      } catch (error) {
        await client.query('ROLLBACK');
        throw error;
      }
    }
    return applied;
  } finally {
    await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    client.release();
  }
}
