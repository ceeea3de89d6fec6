import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Simulation, SimulationTimeoutError } from '../../src/link/sim/simulation.js';
import type { SimEvent } from '../../src/link/sim/simulation.js';

test('events run in time order, ties in scheduling order, and the clock jumps', () => {
  const sim = new Simulation({ startTime: 1000 });
  const log: string[] = [];
  sim.schedule(1500, () => log.push(`b@${sim.now}`));
  sim.schedule(1200, () => log.push(`a@${sim.now}`));
  sim.schedule(1500, () => log.push(`c@${sim.now}`));
  sim.schedule(1500, () => {
    log.push(`d@${sim.now}`);
    sim.schedule(sim.now, () => log.push(`e@${sim.now}`)); // same time, scheduled later: runs after
    sim.schedule(sim.now - 100, () => log.push(`f@${sim.now}`)); // in the past: clamped to now
  });
  sim.after(10, () => log.push(`g@${sim.now}`));
  assert.equal(sim.pending, 5);
  assert.equal(sim.nextEventTime, 1010);
  const n = sim.run();
  assert.equal(n, 7);
  assert.deepEqual(log, ['g@1010', 'a@1200', 'b@1500', 'c@1500', 'd@1500', 'e@1500', 'f@1500']);
  assert.equal(sim.now, 1500);
  assert.equal(sim.eventsRun, 7);
  assert.equal(sim.nextEventTime, Infinity);
});

test('schedule rejects NaN and Infinity', () => {
  const sim = new Simulation();
  assert.throws(() => sim.schedule(NaN, () => {}), RangeError);
  assert.throws(() => sim.schedule(Infinity, () => {}), RangeError);
});

test('cancel removes an event; cancelling later is harmless', () => {
  const sim = new Simulation();
  const log: number[] = [];
  const c1 = sim.schedule(10, () => log.push(1));
  const c2 = sim.schedule(20, () => log.push(2));
  sim.schedule(30, () => log.push(3));
  c2();
  c2();
  assert.equal(sim.pending, 2);
  sim.run();
  c1();
  assert.deepEqual(log, [1, 3]);
});

test('step() runs exactly the events of the earliest time', () => {
  const sim = new Simulation();
  const log: string[] = [];
  sim.schedule(5, () => {
    log.push('x');
    sim.schedule(5, () => log.push('x2'));
    sim.schedule(6, () => log.push('y2'));
  });
  sim.schedule(6, () => log.push('y'));
  assert.equal(sim.step(), true);
  assert.deepEqual(log, ['x', 'x2']);
  assert.equal(sim.now, 5);
  assert.equal(sim.step(), true);
  assert.deepEqual(log, ['x', 'x2', 'y', 'y2']);
  assert.equal(sim.now, 6);
  assert.equal(sim.step(), false);
  assert.equal(sim.now, 6);
});

test('run({ until, maxEvents }) and runFor()', () => {
  const sim = new Simulation();
  const log: number[] = [];
  for (const t of [10, 20, 30, 40]) sim.schedule(t, () => log.push(t));
  assert.equal(sim.run({ until: 20 }), 2);
  assert.deepEqual(log, [10, 20]);
  assert.equal(sim.now, 20);
  assert.equal(sim.run({ until: 25 }), 0);
  assert.equal(sim.now, 25, 'the clock ends at until');
  assert.equal(sim.run({ maxEvents: 1 }), 1);
  assert.equal(sim.now, 30);
  assert.equal(sim.runFor(5), 0);
  assert.equal(sim.now, 35);
  assert.equal(sim.runFor(100), 1);
  assert.equal(sim.now, 135);
  // maxEvents stops the clock at the last event run
  sim.schedule(140, () => {});
  sim.schedule(150, () => {});
  assert.equal(sim.run({ until: 1000, maxEvents: 1 }), 1);
  assert.equal(sim.now, 140);
});

test('step/run from inside an event is an error, and the simulation stays usable', () => {
  const sim = new Simulation();
  sim.schedule(1, () => sim.step());
  assert.throws(() => sim.run(), /inside an event/);
  let ran = false;
  sim.schedule(2, () => (ran = true));
  sim.run();
  assert.ok(ran);
});

test('an exception in an event propagates and later events still run', () => {
  const sim = new Simulation();
  const log: number[] = [];
  sim.schedule(1, () => {
    throw new Error('boom');
  });
  sim.schedule(2, () => log.push(2));
  assert.throws(() => sim.run(), /boom/);
  assert.equal(sim.now, 1);
  sim.run();
  assert.deepEqual(log, [2]);
});

test('scheduleEvent passes arg and tag to a handler, and cancel works on it', () => {
  const sim = new Simulation();
  const seen: Array<[unknown, number, number]> = [];
  const handler = { handleSimEvent: (ev: SimEvent) => seen.push([ev.arg, ev.tag, sim.now]) };
  sim.scheduleEvent(3, handler, 'x', 7);
  const ev = sim.scheduleEvent(4, handler, 'y', 8);
  sim.scheduleEvent(5, handler, 'z');
  assert.equal(sim.cancel(ev), true);
  assert.equal(sim.cancel(ev), false);
  sim.run();
  assert.deepEqual(seen, [['x', 7, 3], ['z', 0, 5]]);
  assert.throws(() => sim.scheduleEvent(1, null, undefined), TypeError);

  // A spent event can be queued again (how links recycle their delivery events).
  let spent: SimEvent | undefined;
  const counter = { n: 0, handleSimEvent: (e: SimEvent) => ((spent = e), counter.n++) };
  sim.scheduleEvent(sim.now + 1, counter, null);
  sim.run();
  sim.requeue(spent!, sim.now + 2);
  assert.equal(sim.pending, 1);
  sim.run();
  assert.equal(counter.n, 2);
});

test('runtime(): virtual clock, timers with cancel, seeded random bytes', () => {
  const sim = new Simulation({ seed: 5, startTime: 100 });
  const rt = sim.runtime('host1');
  assert.equal(rt.now(), 100);
  const log: string[] = [];
  const cancel = rt.setTimer(150, () => log.push('cancelled'));
  rt.setTimer(200, () => log.push(`fired@${rt.now()}`));
  rt.setTimer(50, () => log.push(`past@${rt.now()}`));
  cancel();
  sim.run();
  assert.deepEqual(log, ['past@100', 'fired@200']);

  const again = new Simulation({ seed: 5 }).runtime('host1');
  assert.deepEqual(rt.randomBytes(16), again.randomBytes(16));
  const other = sim.runtime('host2');
  assert.notDeepEqual(other.randomBytes(16), new Simulation({ seed: 5 }).runtime('host1').randomBytes(16));
  assert.notDeepEqual(new Simulation({ seed: 6 }).runtime('host1').randomBytes(16), new Simulation({ seed: 5 }).runtime('host1').randomBytes(16));
  assert.throws(() => sim.runtime('host1'), /already in use/);
  assert.equal(sim.runtime().label, 'runtime#1');
  assert.equal(sim.runtime().label, 'runtime#2');
  // User streams do not collide with runtime streams.
  assert.notDeepEqual(sim.random('host1').bytes(16), new Simulation({ seed: 5 }).runtime('host1').randomBytes(16));
  assert.deepEqual(sim.random('w').bytes(8), new Simulation({ seed: 5 }).random('w').bytes(8));
});

test('ten simulated minutes of timers run without waiting on the wall clock', () => {
  const sim = new Simulation();
  const rt = sim.runtime();
  let fired = 0;
  // A stack-like single timer re-armed every 10 ms, plus a cancelled decoy each time.
  const tick = (): void => {
    fired++;
    rt.setTimer(rt.now() + 50, () => assert.fail('cancelled timer fired'))();
    if (rt.now() < 600_000) rt.setTimer(rt.now() + 10, tick);
  };
  rt.setTimer(10, tick);
  sim.run();
  assert.equal(fired, 60_000);
  assert.equal(sim.now, 600_000);
  assert.equal(sim.pending, 0);
});

test('settle() lets process.nextTick, promise and setImmediate reactions run at the current virtual time', async () => {
  const sim = new Simulation();
  const log: string[] = [];
  sim.schedule(10, () => {
    log.push(`ping@${sim.now}`);
    process.nextTick(() => sim.schedule(sim.now, () => log.push(`tick-reply@${sim.now}`)));
    void Promise.resolve().then(() => sim.schedule(sim.now + 1, () => log.push(`promise-reply@${sim.now}`)));
    setImmediate(() => sim.schedule(sim.now + 2, () => log.push(`immediate-reply@${sim.now}`)));
    // A chain: nextTick -> setImmediate -> setImmediate -> schedule.
    process.nextTick(() => setImmediate(() => setImmediate(() => sim.schedule(sim.now + 3, () => log.push(`chain@${sim.now}`)))));
  });
  await sim.settle();
  // The two-hop setImmediate chain completes one event-loop turn later, by which time the simulation
  // has stepped on to the promise reply at t=11: only reactions completing within one turn are
  // guaranteed to see the virtual time of the event that caused them.
  assert.deepEqual(log, ['ping@10', 'tick-reply@10', 'promise-reply@11', 'immediate-reply@12', 'chain@14']);
  assert.equal(sim.now, 14);
  // Settling an idle simulation returns promptly.
  await sim.settle();
});

test('settle() throws on a never-ending simulation instead of hanging', async () => {
  const sim = new Simulation();
  const tick = (): void => void sim.after(1000, tick);
  tick();
  await assert.rejects(sim.settle({ timeout: 60_000 }), SimulationTimeoutError);
  assert.equal(sim.now, 60_000);
});

test('runUntil(): a receiver replying via process.nextTick gets its reply at the same virtual time', async () => {
  const sim = new Simulation();
  let replyAt = -1;
  let done = false;
  const reply = (): void => {
    replyAt = sim.now;
    done = true;
  };
  sim.schedule(25, () => process.nextTick(() => sim.schedule(sim.now, reply)));
  sim.schedule(1_000, () => assert.fail('runUntil ran past its condition'));
  await sim.runUntil(() => done);
  assert.equal(replyAt, 25);
  assert.equal(sim.now, 25);
  assert.equal(sim.pending, 1);
});

test('runUntil(): condition satisfied by a setImmediate reaction, checked after yields', async () => {
  const sim = new Simulation();
  let flag = false;
  sim.schedule(7, () => setImmediate(() => (flag = true)));
  sim.schedule(8, () => assert.fail('should have stopped at 7'));
  await sim.runUntil(() => flag);
  assert.equal(sim.now, 7);
});

test('runUntil(): returns at once if already true; throws on idle and on timeout', async () => {
  const sim = new Simulation();
  sim.schedule(5, () => {});
  await sim.runUntil(() => true);
  assert.equal(sim.now, 0);
  await assert.rejects(sim.runUntil(() => false), /went idle/);
  assert.equal(sim.now, 5);

  const tick = (): void => void sim.after(100, tick);
  tick();
  await assert.rejects(sim.runUntil(() => false, { timeout: 10_000 }), (err: unknown) => {
    assert.ok(err instanceof SimulationTimeoutError);
    assert.match(err.message, /10000 virtual ms/);
    return true;
  });
  assert.equal(sim.now, 10_005);

  // The default timeout is ten virtual minutes.
  const sim2 = new Simulation();
  const tick2 = (): void => void sim2.after(1000, tick2);
  tick2();
  await assert.rejects(sim2.runUntil(() => false), SimulationTimeoutError);
  assert.equal(sim2.now, 600_000);
});

test('advance(): runs due events with yields in between and ends exactly at now + ms', async () => {
  const sim = new Simulation();
  const log: string[] = [];
  sim.schedule(10, () => {
    log.push(`a@${sim.now}`);
    process.nextTick(() => sim.schedule(sim.now + 5, () => log.push(`b@${sim.now}`)));
  });
  sim.schedule(100, () => log.push('late'));
  await sim.advance(50);
  assert.deepEqual(log, ['a@10', 'b@15']);
  assert.equal(sim.now, 50);
  // A reaction at the very end that schedules something still inside the window is run.
  sim.schedule(60, () => setImmediate(() => sim.schedule(60, () => log.push(`c@${sim.now}`))));
  await sim.advance(10);
  assert.deepEqual(log, ['a@10', 'b@15', 'c@60']);
  assert.equal(sim.now, 60);
  await sim.advance(40);
  assert.deepEqual(log, ['a@10', 'b@15', 'c@60', 'late']);
  assert.equal(sim.now, 100);
});

test('the same seed gives the same run, event for event', () => {
  const trace = (seed: number): string[] => {
    const sim = new Simulation({ seed });
    const rng = sim.random('workload');
    const log: string[] = [];
    const spawn = (depth: number): void => {
      log.push(`${sim.now.toFixed(3)}:${depth}`);
      if (depth < 6) for (let i = rng.int(0, 3); i > 0; i--) sim.after(rng.float(0, 10), () => spawn(depth + 1));
    };
    sim.schedule(0, () => spawn(0));
    sim.run();
    return log;
  };
  assert.deepEqual(trace(1), trace(1));
  assert.notDeepEqual(trace(1), trace(2));
});
