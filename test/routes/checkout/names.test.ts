import t from 'tap';
import { postCheckout, setUp, validCheckout } from '../../support/build.js';

const customer = { firstName: 'Jane', lastName: 'Doe', email: 'jane@example.com' };

const REFUSED: [label: string, value: string, message: RegExp][] = [
  ['CR/LF inside', 'Ja\r\nne', /control or invisible/],
  ['a trailing line feed', 'Jane\n', /control or invisible/],
  ['NUL', 'Ja\u0000ne', /control or invisible/],
  ['a tab', 'Ja\tne', /control or invisible/],
  ['a zero-width space', 'Ja\u200Bne', /control or invisible/],
  ['a zero-width joiner', 'Ja\u200Dne', /control or invisible/],
  ['a byte-order mark', '\uFEFFJane', /control or invisible/],
  ['a right-to-left override', 'Jane\u202Eeod', /control or invisible/],
  ['a bidi isolate', '\u2066Jane\u2069', /control or invisible/],
  ['a line separator', 'Ja\u2028ne', /control or invisible/],
  ['a Hangul filler (a letter that shows nothing)', '\u3164', /control or invisible/],
  ['a combining grapheme joiner', 'Ja\u034Fne', /control or invisible/],
  ['a variation selector', 'Jane\uFE0F', /control or invisible/],
  ['a blank braille cell', 'Ja\u2800ne', /control or invisible/],
  ['digits only', '12345', /at least one letter/],
  ['punctuation only', "-'.", /at least one letter/],
];

for (const field of ['firstName', 'lastName', 'middleName'] as const) {
  t.test(`POST /checkout refuses a customer.${field} without a letter or with invisible characters`, async (t) => {
    const { app, control } = await setUp(t);
    for (const [label, value, message] of REFUSED) {
      const res = await postCheckout(app, validCheckout({ customer: { ...customer, [field]: value } }));
      t.equal(res.statusCode, 400, label);
      const errors = res.json<{ errors: { path: string; message: string }[] }>().errors;
      t.same(errors.map((e) => e.path), [`customer.${field}`], `${label}: one error, on the field`);
      t.match(errors[0]?.message, message, label);
    }
    t.equal(control.calls.length, 0, 'nothing reached Flinks');
  });
}

t.test('POST /checkout takes names in any script, with spaces, hyphens and apostrophes', async (t) => {
  const { app } = await setUp(t);
  for (const [firstName, lastName] of [
    ['Zoë', "O'Brien-Smith"],
    ['José María', 'Nuñez'],
    ['李', '小龙'],
    ['Анна', 'Иванова'],
    ['J.', 'Doe 3rd'],
  ] as const) {
    const res = await postCheckout(app, validCheckout({ customer: { ...customer, firstName, lastName } }));
    t.equal(res.statusCode, 201, `${firstName} ${lastName}`);
  }
});
