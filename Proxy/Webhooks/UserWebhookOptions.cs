namespace Proxy.Webhooks;

/// <summary>
/// Gateway:UserWebhook:* — the endpoint Supabase calls when a row of auth.users changes. Without a Secret the
/// endpoint does not exist (404).
/// </summary>
public sealed class UserWebhookOptions
{
    /// <summary>Standard-Webhooks secret, "whsec_&lt;base64&gt;" (a "v1," prefix as in GoTrue's hook settings is accepted).</summary>
    public string? Secret { get; set; }

    /// <summary>How far webhook-timestamp may be from now, either way (replayed or pre-dated deliveries).</summary>
    public int ToleranceSeconds { get; set; } = 300;

    /// <summary>Largest body accepted: one auth.users row and its old version.</summary>
    public int MaxBodyBytes { get; set; } = 256 * 1024;

    public bool Enabled => !string.IsNullOrEmpty(Secret);

    /// <summary>Startup check naming the setting at fault; null when fine.</summary>
    public static string? Problem(UserWebhookOptions o)
    {
        if (o.Enabled && WebhookSignature.DecodeSecret(o.Secret!) is null)
        {
            return "Setting 'Gateway:UserWebhook:Secret' must be 'whsec_' followed by base64 of 16 to 64 random bytes "
                + "(e.g. whsec_$(openssl rand -base64 32)).";
        }
        if (o.ToleranceSeconds is < 1 or > 3600)
        {
            return "Setting 'Gateway:UserWebhook:ToleranceSeconds' must be between 1 and 3600.";
        }
        if (o.MaxBodyBytes is < 1024 or > 16 * 1024 * 1024)
        {
            return "Setting 'Gateway:UserWebhook:MaxBodyBytes' must be between 1024 and 16777216.";
        }
        return null;
    }
}
