// Drives `sekisho serve` with the official OpenAI and Anthropic SDKs (streaming and not).
// usage: node sdk.mjs BASE_URL MODEL     exits non-zero with a message on the first failure
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';

const [base, model] = process.argv.slice(2);
const oa = new OpenAI({ baseURL: `${base}/v1`, apiKey: 'unused', maxRetries: 0 });
const an = new Anthropic({ baseURL: base, apiKey: 'unused', maxRetries: 0 });
const messages = [{ role: 'system', content: 'Answer briefly.' }, { role: 'user', content: '関所とは何ですか?' }];

// OpenAI chat, non-streaming
const r = await oa.chat.completions.create({ model, messages, max_tokens: 24, seed: 11, temperature: 0.8 });
assert.equal(r.object, 'chat.completion');
assert.equal(r.choices[0].message.role, 'assistant');
assert.ok(r.choices[0].message.content.length > 0);
assert.ok(['stop', 'length'].includes(r.choices[0].finish_reason));
assert.ok(r.usage.prompt_tokens > 0 && r.usage.completion_tokens > 0);

// OpenAI chat, streaming: same seed ⇒ same text; usage chunk at the end
const s = await oa.chat.completions.create({ model, messages, max_tokens: 24, seed: 11, temperature: 0.8,
  stream: true, stream_options: { include_usage: true } });
let text = '', usage = null, finish = null;
for await (const chunk of s) {
  if (chunk.usage) usage = chunk.usage;
  for (const c of chunk.choices) { text += c.delta?.content ?? ''; if (c.finish_reason) finish = c.finish_reason; }
}
assert.equal(text, r.choices[0].message.content, 'stream and non-stream differ for the same seed');
assert.equal(finish, r.choices[0].finish_reason);
assert.deepEqual(usage, r.usage);
// The toy model's split characters must arrive whole; a random-weight model may emit byte
// tokens that can never form a character, which are shown as U+FFFD by design.
if (model === 'sekisho-toy') assert.ok(!text.includes('\uFFFD'), 'broken UTF-8 in stream');

// max_completion_tokens and stop
const r2 = await oa.chat.completions.create({ model, messages, max_completion_tokens: 5, seed: 3 });
assert.equal(r2.usage.completion_tokens <= 5, true);
const full = r.choices[0].message.content;
const stopAt = [...full].slice(3, 4).join('');
const r3 = await oa.chat.completions.create({ model, messages, max_tokens: 24, seed: 11, temperature: 0.8, stop: [stopAt] });
assert.equal(r3.choices[0].message.content, full.slice(0, full.indexOf(stopAt)));
assert.equal(r3.choices[0].finish_reason, 'stop');

// completions
const c = await oa.completions.create({ model, prompt: 'Once upon a time', max_tokens: 8, seed: 2 });
assert.equal(c.object, 'text_completion');
assert.ok(typeof c.choices[0].text === 'string');
const cs = await oa.completions.create({ model, prompt: 'Once upon a time', max_tokens: 8, seed: 2, stream: true });
let ctext = '';
for await (const chunk of cs) ctext += chunk.choices[0]?.text ?? '';
assert.equal(ctext, c.choices[0].text);

// models
const models = await oa.models.list();
assert.ok(models.data.some((m) => m.id === model));

// errors in OpenAI's shape
await assert.rejects(oa.chat.completions.create({ model: 'no-such-model', messages }),
  (e) => e instanceof OpenAI.NotFoundError && e.status === 404);
await assert.rejects(oa.chat.completions.create({ model, messages, temperature: 9 }),
  (e) => e instanceof OpenAI.BadRequestError && e.param === 'temperature');

// Anthropic, non-streaming
const m = await an.messages.create({ model, max_tokens: 24, system: 'Answer briefly.',
  messages: [{ role: 'user', content: [{ type: 'text', text: '関所とは何ですか?' }] }], seed: 11 });
assert.equal(m.type, 'message');
assert.equal(m.content[0].type, 'text');
assert.ok(['end_turn', 'max_tokens'].includes(m.stop_reason));
assert.ok(m.usage.input_tokens > 0);

// Anthropic, streaming: the exact event sequence and the same text
const order = [];
let atext = '';
const st = await an.messages.create({ model, max_tokens: 24, system: 'Answer briefly.',
  messages: [{ role: 'user', content: [{ type: 'text', text: '関所とは何ですか?' }] }], seed: 11, stream: true });
for await (const ev of st) {
  if (order[order.length - 1] !== ev.type || ev.type !== 'content_block_delta') order.push(ev.type);
  if (ev.type === 'content_block_delta') atext += ev.delta.text;
}
assert.deepEqual(order, ['message_start', 'content_block_start', 'content_block_delta', 'content_block_stop',
  'message_delta', 'message_stop']); // the SDK swallows ping
assert.equal(atext, m.content[0].text);
const helper = await an.messages.stream({ model, max_tokens: 24, system: 'Answer briefly.',
  messages: [{ role: 'user', content: '関所とは何ですか?' }], seed: 11 }).finalMessage();
assert.equal(helper.content[0].text, m.content[0].text);

// stop_sequences
const aStop = [...m.content[0].text].slice(2, 3).join('');
const m2 = await an.messages.create({ model, max_tokens: 24, system: 'Answer briefly.',
  messages: [{ role: 'user', content: '関所とは何ですか?' }], seed: 11, stop_sequences: [aStop] });
assert.equal(m2.stop_reason, 'stop_sequence');
assert.equal(m2.stop_sequence, aStop);
assert.equal(m2.content[0].text, m.content[0].text.slice(0, m.content[0].text.indexOf(aStop)));

// errors in Anthropic's shape
await assert.rejects(an.messages.create({ model: 'no-such-model', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
  (e) => e instanceof Anthropic.NotFoundError && e.error?.type === 'error' && e.error?.error?.type === 'not_found_error');
await assert.rejects(an.messages.create({ model, max_tokens: 5, messages: [{ role: 'system', content: 'x' }] }),
  (e) => e instanceof Anthropic.BadRequestError && e.error?.error?.type === 'invalid_request_error');
console.log('sdk: all checks passed');
