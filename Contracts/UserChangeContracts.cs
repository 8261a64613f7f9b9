using System.Text.Json;
using System.Text.Json.Serialization;

namespace Gateway.Contracts;

/// <summary>
/// POST /internal/v1/nonces: records a one-time id (a webhook id) for TtlSeconds. 201 when it was new,
/// 409 when it had been seen: the caller refuses the replay.
/// </summary>
public sealed record NonceRequest(string Scope, string Id, int TtlSeconds);
public sealed record NonceResponse(bool Fresh);

/// <summary>
/// POST /internal/v1/users/{userId}/changed. Change "updated": the top-level members of User replace the same
/// members of the stored user object in every live session (members it lacks, such as identities, are kept;
/// a null member is removed).
/// "banned" or "deleted": every session of the user is revoked.
/// </summary>
public sealed record UserChangedRequest(string Change, JsonElement? User);
public sealed record UserChangedResponse(string Change, IReadOnlyList<string> Sessions);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(NonceRequest))]
[JsonSerializable(typeof(NonceResponse))]
[JsonSerializable(typeof(UserChangedRequest))]
[JsonSerializable(typeof(UserChangedResponse))]
public sealed partial class UserChangeJsonContext : JsonSerializerContext;
