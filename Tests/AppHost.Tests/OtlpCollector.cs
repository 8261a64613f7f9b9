using System.Collections.Concurrent;
using System.Text;

namespace AppHost.Tests;

/// <summary>One span as the services exported it: which service, its trace, its name and string attributes.</summary>
internal sealed record ExportedSpan(string Service, string TraceId, string SpanId, string ParentSpanId, string Name,
    DateTimeOffset Start, IReadOnlyDictionary<string, string> Attributes);

/// <summary>
/// An OTLP/HTTP (protobuf) receiver on loopback: the services' OTEL_EXPORTER_OTLP_ENDPOINT points here. It answers
/// every export with 200 and keeps the spans of /v1/traces (logs and metrics are accepted and dropped).
/// </summary>
internal sealed class OtlpCollector : IAsyncDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<ExportedSpan> _spans = new();
    private readonly Task _loop;

    public OtlpCollector(int port)
    {
        Endpoint = new Uri($"http://127.0.0.1:{port}");
        _listener.Prefixes.Add(Endpoint + "/");
        _listener.Start();
        _loop = Task.Run(AcceptAsync);
    }

    public Uri Endpoint { get; }

    public IReadOnlyCollection<ExportedSpan> Spans => [.. _spans];

    private async Task AcceptAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            if (context.Request.Url?.AbsolutePath == "/v1/traces")
            {
                foreach (var span in OtlpTraceReader.Read(body.ToArray()))
                {
                    _spans.Enqueue(span);
                }
            }
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _loop;
    }
}

/// <summary>
/// Reads the few fields the test needs from an ExportTraceServiceRequest (opentelemetry-proto trace.proto):
/// resource_spans(1) → resource(1).attributes(1), scope_spans(2) → spans(2) → trace_id(1), span_id(2),
/// parent_span_id(4), name(5), start_time_unix_nano(7, fixed64), attributes(9); KeyValue key(1) value(2) → AnyValue
/// string_value(1).
/// </summary>
internal static class OtlpTraceReader
{
    public static List<ExportedSpan> Read(ReadOnlySpan<byte> request)
    {
        var spans = new List<ExportedSpan>();
        foreach (var resourceSpans in Fields(request, 1))
        {
            var service = "";
            foreach (var resource in Fields(resourceSpans, 1))
            {
                service = Attributes(resource).GetValueOrDefault("service.name", "");
            }
            foreach (var scopeSpans in Fields(resourceSpans, 2))
            {
                foreach (var span in Fields(scopeSpans, 2))
                {
                    spans.Add(new ExportedSpan(service,
                        Hex(First(span, 1)), Hex(First(span, 2)), Hex(First(span, 4)),
                        Encoding.UTF8.GetString(First(span, 5)), StartTime(span), Attributes(span, field: 9)));
                }
            }
        }
        return spans;
    }

    private static Dictionary<string, string> Attributes(byte[] message, int field = 1)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var keyValue in Fields(message, field))
        {
            var key = Encoding.UTF8.GetString(First(keyValue, 1));
            var value = Fields(First(keyValue, 2), 1).FirstOrDefault();
            if (value is not null)
            {
                attributes[key] = Encoding.UTF8.GetString(value);
            }
        }
        return attributes;
    }

    private static DateTimeOffset StartTime(ReadOnlySpan<byte> span)
    {
        var position = 0;
        while (position < span.Length)
        {
            var tag = Varint(span, ref position);
            var (number, wireType) = ((int)(tag >> 3), (int)(tag & 7));
            if (number == 7 && wireType == 1)
            {
                var nanoseconds = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(span.Slice(position, 8));
                return DateTimeOffset.UnixEpoch.AddTicks((long)(nanoseconds / 100));
            }
            position = Skip(span, position, wireType);
        }
        return DateTimeOffset.MinValue;
    }

    private static int Skip(ReadOnlySpan<byte> message, int position, int wireType) => wireType switch
    {
        0 => SkipVarint(message, position),
        1 => position + 8,
        2 => LengthDelimitedEnd(message, position),
        5 => position + 4,
        _ => throw new InvalidDataException($"Unexpected protobuf wire type {wireType}."),
    };

    private static int SkipVarint(ReadOnlySpan<byte> message, int position)
    {
        Varint(message, ref position);
        return position;
    }

    private static int LengthDelimitedEnd(ReadOnlySpan<byte> message, int position)
    {
        var length = (int)Varint(message, ref position);
        return position + length;
    }

    private static string Hex(byte[] bytes) => Convert.ToHexStringLower(bytes);

    private static byte[] First(byte[] message, int field) => Fields(message, field).FirstOrDefault() ?? [];

    /// <summary>The length-delimited values of one field number in a protobuf message (other fields skipped).</summary>
    private static List<byte[]> Fields(ReadOnlySpan<byte> message, int field)
    {
        var values = new List<byte[]>();
        var position = 0;
        while (position < message.Length)
        {
            var tag = Varint(message, ref position);
            var (number, wireType) = ((int)(tag >> 3), (int)(tag & 7));
            switch (wireType)
            {
                case 0:
                    Varint(message, ref position);
                    break;
                case 1:
                    position += 8;
                    break;
                case 2:
                    var length = (int)Varint(message, ref position);
                    if (number == field)
                    {
                        values.Add(message.Slice(position, length).ToArray());
                    }
                    position += length;
                    break;
                case 5:
                    position += 4;
                    break;
                default:
                    throw new InvalidDataException($"Unexpected protobuf wire type {wireType}.");
            }
        }
        return values;
    }

    private static ulong Varint(ReadOnlySpan<byte> message, ref int position)
    {
        ulong value = 0;
        for (var shift = 0; ; shift += 7)
        {
            var b = message[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
    }
}
