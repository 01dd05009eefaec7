// Upstream stand-in for the perimeter's tests: a real HTTP server on loopback speaking the
// Anthropic Messages API (/v1/messages) and OpenAI chat completions (/v1/chat/completions), always
// streaming (as the gateway asks). It records every request body it receives (one JSON line each)
// and answers "ECHO: " + the last user message, so tests can check what left the building and
// that pseudonyms are re-identified on the way back.
// usage: node standin.mjs PORT_FILE RECORD_FILE        (port 0: picks a free one, writes it)
import http from 'node:http';
import fs from 'node:fs';

const [portFile, recordFile] = process.argv.slice(2);
const quiet = process.env.STANDIN_NO_RECORD === '1';
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => { body += c; });
  req.on('end', () => {
    if (!quiet) fs.appendFileSync(recordFile, JSON.stringify({ path: req.url, headers: req.headers, body }) + '\n');
    let j;
    try { j = JSON.parse(body); } catch { res.writeHead(400); res.end('{"error":{"message":"bad json"}}'); return; }
    const last = [...(j.messages || [])].reverse().find((m) => m.role === 'user');
    const text = 'ECHO: ' + (last ? last.content : '');
    const chunks = [...text].reduce((a, ch, i) => { if (i % 7 === 0) a.push(''); a[a.length - 1] += ch; return a; }, []);
    res.writeHead(200, { 'Content-Type': 'text/event-stream' });
    if (req.url === '/v1/messages') {
      const ev = (name, data) => res.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
      ev('message_start', { type: 'message_start', message: { id: 'msg_standin', type: 'message', role: 'assistant', model: j.model, content: [], usage: { input_tokens: 11, output_tokens: 0 } } });
      ev('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
      for (const c of chunks) ev('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: c } });
      ev('content_block_stop', { type: 'content_block_stop', index: 0 });
      ev('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: chunks.length } });
      ev('message_stop', { type: 'message_stop' });
    } else {
      const base = { id: 'chatcmpl-standin', object: 'chat.completion.chunk', created: 1, model: j.model };
      for (const c of chunks) res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: { content: c }, finish_reason: null }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ ...base, choices: [], usage: { prompt_tokens: 11, completion_tokens: chunks.length, total_tokens: 11 + chunks.length } })}\n\n`);
      res.write('data: [DONE]\n\n');
    }
    res.end();
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => fs.writeFileSync(portFile, String(server.address().port)));
