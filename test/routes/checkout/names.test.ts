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
      t.same(
        errors.map((e) => e.path),
        [`customer.${field}`],
        `${label}: one error, on the field`,
      );
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

t.test('POST /checkout joins the name parts with single spaces, whatever spacing they hold', async (t) => {
  const { app, control } = await setUp(t);
  const res = await postCheckout(
    app,
    validCheckout({ customer: { ...customer, firstName: 'Mary  Ann', middleName: 'Jo\u00A0 Beth', lastName: ' de   la Cruz ' } }),
  );
  t.equal(res.statusCode, 201);
  const sent = JSON.parse(control.calls[1]?.rawBody ?? '{}') as { customerName?: string };
  t.equal(sent.customerName, 'Mary Ann Jo Beth de la Cruz');
});

t.test('POST /checkout takes an empty middleName (or one of spaces only) as none', async (t) => {
  const { app, control } = await setUp(t);
  for (const middleName of ['', '   ', '\u00A0']) {
    control.reset();
    const res = await postCheckout(app, validCheckout({ customer: { ...customer, middleName } }));
    t.equal(res.statusCode, 201, JSON.stringify(middleName));
    const sent = JSON.parse(control.calls[1]?.rawBody ?? '{}') as { customerName?: string };
    t.equal(sent.customerName, 'Jane Doe', `${JSON.stringify(middleName)}: no middle name`);
  }
  const tooLong = await postCheckout(app, validCheckout({ customer: { ...customer, middleName: 'M'.repeat(101) } }));
  t.equal(tooLong.statusCode, 400, 'a middleName over 100 characters is still refused');
});
