using Microsoft.AspNetCore.Routing.Matching;
using SampleWeb.Identity;

namespace SampleWeb.Variants;

/// <summary>
/// Chooses between twin pages that share a route: a request with a verified gateway identity gets the
/// <see cref="AuthenticatedVariant"/>, every other request gets the anonymous page. Decided on the server before
/// any HTML is written, so the first response already shows the right state (no flash of signed-out content).
/// </summary>
public sealed class AuthenticatedVariantPolicy : MatcherPolicy, IEndpointSelectorPolicy
{
    // After Razor Pages has loaded its compiled pages, before the final choice between candidates.
    public override int Order => 100;

    public bool AppliesToEndpoints(IReadOnlyList<Endpoint> endpoints) =>
        endpoints.Any(e => e.Metadata.GetMetadata<AuthenticatedVariant>() is not null);

    public Task ApplyAsync(HttpContext httpContext, CandidateSet candidates)
    {
        var signedIn = httpContext.GatewayUser() is not null;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (!candidates.IsValidCandidate(i))
            {
                continue;
            }
            var isTwin = candidates[i].Endpoint.Metadata.GetMetadata<AuthenticatedVariant>() is not null;
            if (signedIn ? !isTwin && HasValidTwin(candidates, i) : isTwin)
            {
                candidates.SetValidity(i, false);
            }
        }
        return Task.CompletedTask;
    }

    /// <summary>An authenticated candidate with the same route template as the anonymous candidate at <paramref name="anonymous"/>.</summary>
    private static bool HasValidTwin(CandidateSet candidates, int anonymous)
    {
        var route = Template(candidates[anonymous].Endpoint);
        for (var j = 0; j < candidates.Count; j++)
        {
            if (j != anonymous && candidates.IsValidCandidate(j)
                && candidates[j].Endpoint.Metadata.GetMetadata<AuthenticatedVariant>() is not null
                && string.Equals(Template(candidates[j].Endpoint), route, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    private static string? Template(Endpoint endpoint) => (endpoint as RouteEndpoint)?.RoutePattern.RawText?.Trim('/');
}
