namespace SessionApi.Tokens;

public static class TokensRegistration
{
    /// <summary>The signing keys (Supabase and identity) and the minter.</summary>
    public static IHostApplicationBuilder AddTokenMinting(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<SigningKeys>();
        builder.Services.AddSingleton<TokenMinter>();
        return builder;
    }
}
