namespace SampleWeb.Variants;

/// <summary>
/// Endpoint metadata on every page under <c>Pages/_Authenticated</c>: the signed-in twin of the anonymous page
/// with the same route. Mirrors the seed's Next.js <c>_authenticated</c> directory.
/// </summary>
public sealed class AuthenticatedVariant
{
    public const string Folder = "/_Authenticated";

    public static AuthenticatedVariant Instance { get; } = new();

    private AuthenticatedVariant()
    {
    }
}
