// A signed-in receiver subscribes to a broadcast channel through the Proxy; a second client sends messages every
// intervalMs for durationMs. Prints what arrived, the channel statuses and how the sockets ended.
// INPUT: { vsn?, senderVsn?, durationMs?, intervalMs?, receiver: {email|cookie}, sender: {email|cookie}, senderProxyUrl? }
import { env, done, fail } from './lib/gateway-client.mjs';
import { realtimeClient, subscribe, sleep, uniqueName } from './realtime-common.mjs';

try {
  const input = env.input;
  const durationMs = input.durationMs ?? 1500;
  const intervalMs = input.intervalMs ?? 200;
  const topic = input.topic ?? uniqueName('room');

  const receiver = await realtimeClient({ ...input.receiver, vsn: input.vsn });
  const sender = await realtimeClient({ ...input.sender, vsn: input.senderVsn ?? input.vsn, proxyUrl: input.senderProxyUrl ?? env.proxyUrl });

  const received = [];
  const receiverStatuses = [];
  const senderStatuses = [];
  const inbound = receiver.client.channel(topic, { config: { broadcast: { self: false } } })
    .on('broadcast', { event: 'ping' }, message => received.push({ n: message.payload?.n, at: Date.now() }));
  await subscribe(inbound, receiverStatuses);
  const outbound = sender.client.channel(topic, { config: { broadcast: { self: false } } });
  await subscribe(outbound, senderStatuses);

  const started = Date.now();
  let sent = 0;
  const sendResults = [];
  while (Date.now() - started < durationMs) {
    sendResults.push(await outbound.send({ type: 'broadcast', event: 'ping', payload: { n: sent, text: 'héllo ✓' } }));
    sent++;
    await sleep(intervalMs);
  }
  // Let the last messages arrive: wait until all are in, up to settleMs (a slow machine delays delivery; it does not
  // drop messages, and a dropped one still shows up in `missing`).
  const settleUntil = Date.now() + (input.settleMs ?? 5000);
  while (received.length < sent && Date.now() < settleUntil) await sleep(50);

  // Largest silence between consecutive messages (a channel closed by an expired token shows up as a long gap).
  let maxGapMs = 0;
  for (let i = 1; i < received.length; i++) maxGapMs = Math.max(maxGapMs, received[i].at - received[i - 1].at);

  const result = {
    topic,
    vsn: input.vsn ?? 'default',
    sent,
    received: received.length,
    missing: [...Array(sent).keys()].filter(n => !received.some(r => r.n === n)),
    maxGapMs,
    elapsedMs: Date.now() - started,
    sendResults: [...new Set(sendResults)],
    receiverState: inbound.state,
    senderState: outbound.state,
    receiverStatuses: receiverStatuses.map(s => s.status + (s.error ? `:${s.error}` : '')),
    senderStatuses: senderStatuses.map(s => s.status),
    receiverSockets: receiver.sockets,
    senderSockets: sender.sockets,
    receiverUser: receiver.user,
  };
  await receiver.client.removeAllChannels();
  await sender.client.removeAllChannels();
  done(result);
} catch (error) {
  fail(error);
}
