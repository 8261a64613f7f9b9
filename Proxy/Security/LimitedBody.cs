namespace Proxy.Security;

/// <summary>Reads a request body the Proxy itself must inspect (auth JSON, webhooks), never past its size limit.</summary>
public static class LimitedBody
{
    /// <summary>The whole body, or null when it is larger than <paramref name="limit"/> (read no further than that).</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, int limit, CancellationToken ct)
    {
        if (request.ContentLength > limit)
        {
            return null;
        }
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }
}
