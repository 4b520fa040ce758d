import t from 'tap';
import { timingsBetween, totalsOf } from '../../bench/service-timings.js';

/* The latency part splits a checkout's time, as the service timed it, into its Flinks calls and the rest. */

const exposition = (checkouts: number, checkoutSeconds: number, calls: number, callSeconds: number) =>
  [
    '# HELP http_request_duration_seconds Time to answer a request, by route and status code.',
    `http_request_duration_seconds_sum{method="POST",route="/checkout",status_code="201"} ${checkoutSeconds}`,
    `http_request_duration_seconds_count{method="POST",route="/checkout",status_code="201"} ${checkouts}`,
    'http_request_duration_seconds_sum{method="POST",route="/checkout",status_code="400"} 9',
    'http_request_duration_seconds_count{method="GET",route="/checkout/:requestId",status_code="200"} 50',
    `flinks_upstream_duration_seconds_sum{step="initiate",outcome="ok"} ${callSeconds / 2}`,
    `flinks_upstream_duration_seconds_count{step="initiate",outcome="ok"} ${calls / 2}`,
    `flinks_upstream_duration_seconds_sum{step="paymentrequest",outcome="ok"} ${callSeconds / 2}`,
    `flinks_upstream_duration_seconds_count{step="paymentrequest",outcome="ok"} ${calls / 2}`,
    'flinks_upstream_duration_seconds_sum{step="authorize",outcome="ok"} 7',
    'flinks_upstream_duration_seconds_count{step="authorize",outcome="ok"} 700',
    'flinks_upstream_duration_seconds_sum{step="initiate",outcome="timeout"} 30',
    'flinks_upstream_duration_seconds_bucket{step="initiate",outcome="ok",le="0.01"} 3',
  ].join('\n');

t.test('only created checkouts and the calls a checkout waits for are counted', (t) => {
  t.same(totalsOf(exposition(10, 0.25, 20, 0.22)), { checkoutSeconds: 0.25, checkouts: 10, callSeconds: 0.22, calls: 20 });
  t.end();
});

t.test('the timings of the checkouts made between two scrapes', (t) => {
  const timings = timingsBetween(totalsOf(exposition(10, 0.25, 20, 0.22)), totalsOf(exposition(110, 2.75, 220, 2.62)));
  t.ok(timings);
  t.equal(timings?.serverMs.toFixed(2), '25.00', '2.5 s over 100 checkouts');
  t.equal(timings?.inCallsMs.toFixed(2), '24.00', '2.4 s of calls over 100 checkouts');
  t.equal(timings?.perCallMs.toFixed(2), '12.00', 'over 200 calls');
  t.equal(timings?.ownMs.toFixed(2), '1.00');
  t.equal(timingsBetween(totalsOf(exposition(10, 1, 20, 1)), totalsOf(exposition(10, 1, 20, 1))), undefined, 'no checkout in between');
  t.end();
});
