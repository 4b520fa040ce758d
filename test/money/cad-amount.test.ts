import t from 'tap';
import { isTwoDecimalLiteral, MAX_AMOUNT, parseCadAmount } from '../../src/money/cad-amount.js';

t.test('an amount is kept as the exact decimal written, with two decimals', (t) => {
  const cases: [string | number, string][] = [
    ['49.95', '49.95'],
    ['25', '25.00'],
    ['25.5', '25.50'],
    ['0.01', '0.01'],
    [19.99, '19.99'],
    [25.5, '25.50'],
    [1_000_000, '1000000.00'],
    [MAX_AMOUNT, MAX_AMOUNT],
    ['999999.99', '999999.99'],
  ];
  for (const [input, canonical] of cases) t.strictSame(parseCadAmount(input), { ok: true, amount: canonical }, JSON.stringify(input));
  t.end();
});

t.test('what is no amount says why', (t) => {
  const cases: [string | number, 'format' | 'zero' | 'too-large'][] = [
    ['0', 'zero'],
    ['0.00', 'zero'],
    [0, 'zero'],
    ['1000000.01', 'too-large'],
    ['9999999.99', 'too-large'],
    ['12345678', 'too-large'],
    ['100000000000000000000', 'too-large'],
    [12_345_678, 'too-large'],
    [' 25 ', 'format'],
    ['025', 'format'],
    ['25.', 'format'],
    ['.5', 'format'],
    ['1.234', 'format'],
    ['-5', 'format'],
    [-5, 'format'],
    ['1e3', 'format'],
    [1e21, 'too-large'],
    [1.5e300, 'too-large'],
    [1e-7, 'format'],
    [Number.NaN, 'format'],
    [Number.POSITIVE_INFINITY, 'format'],
    ['', 'format'],
    ['25,50', 'format'],
    ['٢٥', 'format'],
  ];
  for (const [input, problem] of cases) t.strictSame(parseCadAmount(input), { ok: false, problem }, JSON.stringify(String(input)));
  t.end();
});

t.test('a JSON number literal is an amount only with at most two decimals and no exponent', (t) => {
  for (const literal of ['25', '25.5', '25.50', '0.01', '-3', '1000000']) t.ok(isTwoDecimalLiteral(literal), literal);
  for (const literal of ['25.500', '12.3400000000000001', '1e3', '2.5E1', '025', '25.']) t.notOk(isTwoDecimalLiteral(literal), literal);
  t.end();
});
