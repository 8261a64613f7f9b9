using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Proxy.Webhooks;

/// <summary>
/// What a Database-Webhooks body about auth.users means for live sessions:
/// {"type":"INSERT"|"UPDATE"|"DELETE","table":"users","schema":"auth","record":{…},"old_record":{…}}.
/// Change is "updated" (User holds the API user members the row carries), "banned", "deleted", or null (nothing
/// to apply: a new user has no sessions yet).
/// </summary>
public sealed record AuthUserChange(string UserId, string? Change, JsonObject? User)
{
    // Timestamp columns of the row that are also members of the user object.
    private static readonly string[] TimeColumns =
        ["email_confirmed_at", "phone_confirmed_at", "confirmed_at", "last_sign_in_at", "created_at", "updated_at", "banned_until"];

    /// <summary>Null when the body is not such a payload.</summary>
    public static AuthUserChange? Parse(ReadOnlySpan<byte> body, DateTimeOffset now)
    {
        JsonObject? payload;
        try
        {
            // A repeated name is ambiguous (which "id" is meant?) and would only fail later, as a 500.
            payload = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
        if (payload is null || payload["table"]?.GetValueKind() != JsonValueKind.String || (string?)payload["table"] != "users"
            || payload["schema"]?.GetValueKind() != JsonValueKind.String || (string?)payload["schema"] != "auth"
            || payload["type"]?.GetValueKind() != JsonValueKind.String)
        {
            return null;
        }
        var type = (string)payload["type"]!;
        var row = (type == "DELETE" ? payload["old_record"] : payload["record"]) as JsonObject;
        if (row?["id"] is not JsonValue idValue || idValue.GetValueKind() != JsonValueKind.String
            || !Guid.TryParse((string?)idValue, out var id))
        {
            return null;
        }
        var userId = id.ToString();
        return type switch
        {
            "INSERT" => new(userId, null, null),
            "DELETE" => new(userId, "deleted", null),
            "UPDATE" when Time(row["deleted_at"]) is not null => new(userId, "deleted", null),
            "UPDATE" when Time(row["banned_until"]) is { } until && until > now => new(userId, "banned", null),
            "UPDATE" => new(userId, "updated", ToUser(row)),
            _ => null,
        };
    }

    /// <summary>
    /// The members of GoTrue's user object that an auth.users row determines. Times are printed as GoTrue prints
    /// them; an unset optional time is null, which removes it from the stored user (GoTrue omits it).
    /// </summary>
    private static JsonObject ToUser(JsonObject row)
    {
        var user = new JsonObject { ["id"] = Guid.Parse((string)row["id"]!).ToString() };
        foreach (var column in new[] { "aud", "role" })
        {
            if (row[column] is JsonValue value && value.GetValueKind() == JsonValueKind.String)
            {
                user[column] = (string?)value;
            }
        }
        user["email"] = row["email"] is JsonValue email && email.GetValueKind() == JsonValueKind.String ? (string?)email : "";
        user["phone"] = row["phone"] is JsonValue phone && phone.GetValueKind() == JsonValueKind.String ? (string?)phone : "";
        foreach (var column in TimeColumns)
        {
            if (row.ContainsKey(column))
            {
                user[column] = Time(row[column]) is { } time ? time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture) : null;
            }
        }
        user["app_metadata"] = row["raw_app_meta_data"] is JsonObject app ? app.DeepClone() : new JsonObject();
        user["user_metadata"] = row["raw_user_meta_data"] is JsonObject meta ? meta.DeepClone() : new JsonObject();
        if (row["is_anonymous"] is JsonValue anonymous && anonymous.GetValueKind() is JsonValueKind.True or JsonValueKind.False)
        {
            user["is_anonymous"] = (bool)anonymous;
        }
        return user;
    }

    private static DateTimeOffset? Time(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.String
        && DateTimeOffset.TryParse((string?)value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time)
            ? time
            : null;
}
