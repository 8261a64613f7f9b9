using System.Globalization;
using System.Text;

namespace SessionApi.Redis;

/// <summary>A binary-safe command argument.</summary>
public readonly struct RedisArg
{
    private RedisArg(ReadOnlyMemory<byte> value) => Value = value;

    public ReadOnlyMemory<byte> Value { get; }

    public static implicit operator RedisArg(string value) => new(Encoding.UTF8.GetBytes(value));
    public static implicit operator RedisArg(byte[] value) => new(value);
    public static implicit operator RedisArg(ReadOnlyMemory<byte> value) => new(value);
    public static implicit operator RedisArg(long value) => new(Encoding.ASCII.GetBytes(value.ToString(CultureInfo.InvariantCulture)));
}
