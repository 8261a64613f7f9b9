using Microsoft.AspNetCore.Mvc.ApplicationModels;

namespace SampleWeb.Variants;

/// <summary>
/// Gives each page under <c>Pages/_Authenticated</c> the route of its anonymous twin (the folder name is dropped)
/// and marks it <see cref="AuthenticatedVariant"/>. So <c>/_Authenticated/...</c> is not a route at all (404), and
/// both twins answer the same URL; <see cref="AuthenticatedVariantPolicy"/> picks one per request.
/// </summary>
public static class AuthenticatedVariantRouteConvention
{
    private const string Prefix = "_Authenticated";

    public static void Apply(PageRouteModel model)
    {
        foreach (var selector in model.Selectors)
        {
            if (selector.AttributeRouteModel?.Template is { } template && template.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
            {
                selector.AttributeRouteModel.Template = template[Prefix.Length..].TrimStart('/');
            }
            selector.EndpointMetadata.Add(AuthenticatedVariant.Instance);
        }
    }
}
