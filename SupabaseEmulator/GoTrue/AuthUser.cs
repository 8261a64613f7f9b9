using System.Globalization;
using System.Text.Json.Nodes;

namespace SupabaseEmulator.GoTrue;

/// <summary>A row of auth.identities.</summary>
public sealed record AuthIdentity(Guid Id, string ProviderId, Guid UserId, JsonObject IdentityData, string Provider,
    DateTimeOffset? LastSignInAt, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt, string? Email);

/// <summary>A row of auth.users with its identities.</summary>
public sealed record AuthUser(
    Guid Id,
    string Aud,
    string Role,
    string? Email,
    DateTimeOffset? EmailConfirmedAt,
    DateTimeOffset? ConfirmationSentAt,
    DateTimeOffset? RecoverySentAt,
    string? Phone,
    DateTimeOffset? PhoneConfirmedAt,
    DateTimeOffset? LastSignInAt,
    JsonObject AppMetadata,
    JsonObject UserMetadata,
    DateTimeOffset? BannedUntil,
    DateTimeOffset? DeletedAt,
    bool IsAnonymous,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    IReadOnlyList<AuthIdentity> Identities)
{
    public bool IsBanned(DateTimeOffset now) => BannedUntil is { } until && until > now;

    /// <summary>The user object of docs/supabase-contract.md §1.3: "" for a missing email/phone, optional times omitted.</summary>
    public JsonObject ToJson()
    {
        var user = new JsonObject
        {
            ["id"] = Id.ToString(),
            ["aud"] = Aud,
            ["role"] = Role,
            ["email"] = Email ?? "",
        };
        Optional(user, "email_confirmed_at", EmailConfirmedAt);
        user["phone"] = Phone ?? "";
        Optional(user, "phone_confirmed_at", PhoneConfirmedAt);
        Optional(user, "confirmation_sent_at", ConfirmationSentAt);
        Optional(user, "confirmed_at", EarliestConfirmation);
        Optional(user, "recovery_sent_at", RecoverySentAt);
        Optional(user, "last_sign_in_at", LastSignInAt);
        user["app_metadata"] = AppMetadata.DeepClone();
        user["user_metadata"] = UserMetadata.DeepClone();
        user["identities"] = new JsonArray([.. Identities.Select(IdentityJson)]);
        user["created_at"] = Time(CreatedAt);
        user["updated_at"] = Time(UpdatedAt);
        Optional(user, "banned_until", BannedUntil);
        Optional(user, "deleted_at", DeletedAt);
        user["is_anonymous"] = IsAnonymous;
        return user;
    }

    private DateTimeOffset? EarliestConfirmation =>
        EmailConfirmedAt is { } e && PhoneConfirmedAt is { } p ? (e < p ? e : p) : EmailConfirmedAt ?? PhoneConfirmedAt;

    private static JsonNode IdentityJson(AuthIdentity identity)
    {
        var json = new JsonObject
        {
            ["identity_id"] = identity.Id.ToString(),
            ["id"] = identity.ProviderId,
            ["user_id"] = identity.UserId.ToString(),
            ["identity_data"] = identity.IdentityData.DeepClone(),
            ["provider"] = identity.Provider,
        };
        Optional(json, "last_sign_in_at", identity.LastSignInAt);
        json["created_at"] = Time(identity.CreatedAt);
        json["updated_at"] = Time(identity.UpdatedAt);
        if (!string.IsNullOrEmpty(identity.Email))
        {
            json["email"] = identity.Email;
        }
        return json;
    }

    private static void Optional(JsonObject target, string name, DateTimeOffset? value)
    {
        if (value is { } time)
        {
            target[name] = Time(time);
        }
    }

    /// <summary>RFC 3339 with microseconds in UTC, as GoTrue prints times.</summary>
    public static string Time(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
}
