using System.Text;

namespace SessionApi.Redis;

public enum RedisReplyKind
{
    SimpleString,
    Error,
    Integer,
    BulkString,
    Null,
    Array,
}

/// <summary>One RESP2 reply.</summary>
public sealed class RedisReply
{
    public static readonly RedisReply Nil = new(RedisReplyKind.Null);

    private RedisReply(RedisReplyKind kind) => Kind = kind;

    public RedisReplyKind Kind { get; private init; }
    public long Integer { get; private init; }
    public byte[]? Bytes { get; private init; }
    public IReadOnlyList<RedisReply> Items { get; private init; } = [];

    public bool IsNull => Kind == RedisReplyKind.Null;

    public static RedisReply Simple(string text) => new(RedisReplyKind.SimpleString) { Bytes = Encoding.UTF8.GetBytes(text) };
    public static RedisReply Error(string text) => new(RedisReplyKind.Error) { Bytes = Encoding.UTF8.GetBytes(text) };
    public static RedisReply Int(long value) => new(RedisReplyKind.Integer) { Integer = value };
    public static RedisReply Bulk(byte[] value) => new(RedisReplyKind.BulkString) { Bytes = value };
    public static RedisReply Array(RedisReply[] items) => new(RedisReplyKind.Array) { Items = items };

    public string? AsString() => Kind switch
    {
        RedisReplyKind.Integer => Integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        RedisReplyKind.Null => null,
        RedisReplyKind.Array => throw new InvalidOperationException("An array reply has no string value."),
        _ => Encoding.UTF8.GetString(Bytes!),
    };

    public byte[]? AsBytes() => Kind == RedisReplyKind.Null ? null : Bytes ?? Encoding.UTF8.GetBytes(AsString()!);

    public long AsLong() => Kind == RedisReplyKind.Integer
        ? Integer
        : long.Parse(AsString() ?? throw new InvalidOperationException("A null reply has no integer value."), System.Globalization.CultureInfo.InvariantCulture);

    public override string ToString() => Kind switch
    {
        RedisReplyKind.Array => $"[{string.Join(", ", Items)}]",
        RedisReplyKind.Null => "(nil)",
        _ => AsString()!,
    };
}
