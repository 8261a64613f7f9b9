using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.AspNetCore.Routing.Matching;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SampleWeb.Variants;

public static class PageVariantsExtensions
{
    /// <summary>Anonymous pages in <c>Pages/</c>, signed-in twins in <c>Pages/_Authenticated/</c> on the same routes.</summary>
    public static IMvcBuilder AddPageVariants(this IMvcBuilder mvc)
    {
        mvc.Services.Configure<RazorPagesOptions>(options =>
            options.Conventions.AddFolderRouteModelConvention(AuthenticatedVariant.Folder, AuthenticatedVariantRouteConvention.Apply));
        mvc.Services.TryAddEnumerable(ServiceDescriptor.Singleton<MatcherPolicy, AuthenticatedVariantPolicy>());
        return mvc;
    }
}
