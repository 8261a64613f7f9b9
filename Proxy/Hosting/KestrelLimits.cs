using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Proxy.Options;

namespace Proxy.Hosting;

/// <summary>
/// Kestrel's limits follow Gateway:Limits with headroom: the middleware answers the configured limits with JSON,
/// and Kestrel (which can only answer with an empty 431/413) stops anything far beyond them before it is buffered.
/// </summary>
internal sealed class KestrelLimits(IOptions<GatewayOptions> gateway) : IConfigureOptions<KestrelServerOptions>
{
    public const int HeaderHeadroomBytes = 16 * 1024;

    public void Configure(KestrelServerOptions options)
    {
        var limits = gateway.Value.Limits;
        options.AddServerHeader = false;
        options.Limits.MaxRequestHeadersTotalSize = limits.MaxHeaderBytes + HeaderHeadroomBytes;
        options.Limits.MaxRequestBodySize = limits.MaxRequestBodyBytes;
        options.Limits.MaxRequestHeaderCount = 200;
        options.Limits.Http2.MaxRequestHeaderFieldSize = Math.Max(options.Limits.Http2.MaxRequestHeaderFieldSize, limits.MaxHeaderBytes + HeaderHeadroomBytes);
    }
}
