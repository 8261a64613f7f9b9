using System.Net.Sockets;
using System.Text;

namespace EndToEnd.Tests.Hardening;

/// <summary>One request exactly as written: raw path, any header bytes, optional chunked body.</summary>
public sealed record RawRequest(string Method, string Path, IReadOnlyList<(string Name, string Value)> Headers, byte[]? Body = null, bool Chunked = false);

public sealed record RawResponse(int Status, IReadOnlyList<(string Name, string Value)> Headers, string Body)
{
    public IEnumerable<string> Values(string name) =>
        Headers.Where(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Select(h => h.Value);

    public string? Header(string name) => Values(name).FirstOrDefault();
}

/// <summary>
/// HTTP/1.1 over a plain socket: HttpClient normalises dot segments, validates header values and refuses some
/// encodings, which is exactly what a hostile client does not do.
/// </summary>
public static class RawHttp
{
    public static async Task<RawResponse> SendAsync(Uri server, RawRequest request, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, cts.Token);
        var stream = client.GetStream();
        var head = new StringBuilder();
        head.Append(request.Method).Append(' ').Append(request.Path).Append(" HTTP/1.1\r\n");
        head.Append("Host: ").Append(server.Authority).Append("\r\n");
        head.Append("Connection: close\r\n");
        foreach (var (name, value) in request.Headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }
        if (request.Body is { } body)
        {
            head.Append(request.Chunked ? "Transfer-Encoding: chunked\r\n" : $"Content-Length: {body.Length}\r\n");
        }
        head.Append("\r\n");
        try
        {
            await stream.WriteAsync(Encoding.Latin1.GetBytes(head.ToString()), cts.Token);
            if (request.Body is { } payload)
            {
                if (request.Chunked)
                {
                    foreach (var chunk in payload.Chunk(64 * 1024))
                    {
                        await stream.WriteAsync(Encoding.ASCII.GetBytes($"{chunk.Length:X}\r\n"), cts.Token);
                        await stream.WriteAsync(chunk, cts.Token);
                        await stream.WriteAsync("\r\n"u8.ToArray(), cts.Token);
                    }
                    await stream.WriteAsync("0\r\n\r\n"u8.ToArray(), cts.Token);
                }
                else
                {
                    await stream.WriteAsync(payload, cts.Token);
                }
            }
        }
        catch (IOException)
        {
            // The server may answer (413/431) and close before the whole request is written; read what it said.
        }
        using var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await stream.ReadAsync(buffer, cts.Token)) > 0)
            {
                received.Write(buffer, 0, read);
            }
        }
        catch (IOException) when (received.Length > 0)
        {
            // Connection reset after the answer was sent.
        }
        return Parse(received.ToArray());
    }

    private static RawResponse Parse(byte[] bytes)
    {
        var text = Encoding.Latin1.GetString(bytes);
        var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        if (end < 0)
        {
            throw new InvalidOperationException($"No HTTP response head in {bytes.Length} bytes.");
        }
        var lines = text[..end].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        var headers = lines.Skip(1).Select(l => l.Split(':', 2)).Select(p => (p[0].Trim(), p.Length > 1 ? p[1].Trim() : "")).ToList();
        var raw = bytes.AsSpan(end + 4).ToArray();
        if (headers.Any(h => h.Item1.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && h.Item2.Contains("chunked", StringComparison.OrdinalIgnoreCase)))
        {
            raw = Dechunk(raw);
        }
        return new RawResponse(status, headers, Encoding.UTF8.GetString(raw));
    }

    private static byte[] Dechunk(byte[] raw)
    {
        using var body = new MemoryStream();
        var position = 0;
        while (position < raw.Length)
        {
            var lineEnd = raw.AsSpan(position).IndexOf("\r\n"u8);
            if (lineEnd < 0)
            {
                break;
            }
            var sizeText = Encoding.ASCII.GetString(raw, position, lineEnd).Split(';')[0];
            var size = Convert.ToInt32(sizeText, 16);
            position += lineEnd + 2;
            if (size == 0)
            {
                break;
            }
            body.Write(raw, position, Math.Min(size, raw.Length - position));
            position += size + 2;
        }
        return body.ToArray();
    }
}
