using Proxy.Errors;
using Yarp.ReverseProxy.Forwarder;

namespace Proxy.Forwarding;

/// <summary>
/// When YARP cannot reach an upstream it answers 502/504 with an empty body. Browsers and supabase-js expect
/// GoTrue's error JSON, and nothing about the failure (addresses, exception text) may leak, so the failure is
/// rewritten here: connect refused or reset → 502 upstream_unavailable, no answer in time → 504 upstream_timeout.
/// </summary>
public static class UpstreamErrorResponses
{
    public const int DefaultTimeoutSeconds = 100;

    /// <summary>What the browser should see for a forwarding failure; null when the client went away or the
    /// response has already begun (nothing more can be said then).</summary>
    public static GatewayError? Classify(ForwarderError error) => error switch
    {
        ForwarderError.RequestTimedOut => GatewayErrors.UpstreamTimeout,
        ForwarderError.Request or ForwarderError.RequestBodyDestination or ForwarderError.ResponseHeaders
            or ForwarderError.NoAvailableDestinations or ForwarderError.UpgradeRequestDestination
            => GatewayErrors.UpstreamUnavailable,
        _ => null, // canceled by the client, or the body was already streaming
    };

    /// <summary>Runs after YARP: replaces its empty 502/504 with the JSON error when the response has not started.</summary>
    public static async Task RewriteAsync(HttpContext context, Func<Task> next)
    {
        await next();
        if (context.GetForwarderErrorFeature() is not { } failure || context.Response.HasStarted
            || Classify(failure.Error) is not { } answer)
        {
            return;
        }
        var upstream = GatewayForwarding.ToSupabase(context) ? "Supabase" : "The web app";
        var what = answer == GatewayErrors.UpstreamTimeout ? "did not answer in time" : "is unreachable";
        context.Response.Clear();
        await GatewayErrors.WriteAsGoTrueAsync(context, answer.Saying($"{upstream} {what}; try again shortly."));
    }
}
