// The official SDKs through the perimeter to an external route (the stand-in), unchanged.
// usage: node gate_sdk.mjs BASE_URL API_KEY
import OpenAI from 'openai';
import Anthropic from '@anthropic-ai/sdk';
import assert from 'node:assert/strict';

const [base, key] = process.argv.slice(2);
const oa = new OpenAI({ baseURL: `${base}/v1`, apiKey: key, maxRetries: 0 });
const an = new Anthropic({ baseURL: base, apiKey: key, maxRetries: 0 });
const q = '佐藤花子さんに連絡してください。';
const r = await oa.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: q }], max_tokens: 20 });
assert.equal(r.choices[0].message.content, 'ECHO: ' + q);
const s = await oa.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: q }], max_tokens: 20, stream: true });
let t = '';
for await (const c of s) t += c.choices[0]?.delta?.content ?? '';
assert.equal(t, 'ECHO: ' + q);
const m = await an.messages.create({ model: 'claude', max_tokens: 20, messages: [{ role: 'user', content: q }] });
assert.equal(m.content[0].text, 'ECHO: ' + q);
const ms = an.messages.stream({ model: 'claude', max_tokens: 20, messages: [{ role: 'user', content: q }] });
const fin = await ms.finalMessage();
assert.equal(fin.content[0].text, 'ECHO: ' + q);
await assert.rejects(oa.chat.completions.create({ model: 'claude', messages: [{ role: 'user', content: q }] }, { headers: { Authorization: 'Bearer nope' } }),
  (e) => e.status === 401);
console.log('sdk ok');
