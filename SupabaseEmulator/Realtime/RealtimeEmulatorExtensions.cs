using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace SupabaseEmulator.Realtime;

/// <summary>The Realtime (Phoenix websocket) part of the emulator, mounted where the API gateway serves it.</summary>
public static class RealtimeEmulatorExtensions
{
    public static IServiceCollection AddRealtimeEmulator(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<RealtimeJwt>();
        services.TryAddSingleton<RealtimeHub>();
        services.TryAddSingleton<RealtimeTokenLog>();
        return services;
    }

    /// <summary>Maps /realtime/v1/websocket, /realtime/v1/api/broadcast and the test hook /__emulator/realtime/*.</summary>
    public static IEndpointRouteBuilder MapRealtimeEmulator(this IEndpointRouteBuilder endpoints)
    {
        if (endpoints is IApplicationBuilder app)
        {
            app.UseWebSockets();
        }

        endpoints.Map("/realtime/v1/websocket", ConnectAsync);
        endpoints.MapPost("/realtime/v1/api/broadcast", BroadcastAsync);
        // Test hook: every token Realtime saw, optionally filtered (topic may be given with or without "realtime:").
        endpoints.MapGet("/__emulator/realtime/tokens", (RealtimeTokenLog log, string? sub, string? source, string? topic) =>
        {
            var fullTopic = topic is null || topic.StartsWith("realtime:", StringComparison.Ordinal) ? topic : "realtime:" + topic;
            return Results.Json(new
            {
                tokens = log.Snapshot().Where(t =>
                    (sub is null || t.Sub == sub) && (source is null || t.Source == source) && (fullTopic is null || t.Topic == fullTopic)),
            });
        });
        endpoints.MapGet("/__emulator/realtime/sockets", (RealtimeHub hub) => Results.Json(new { sockets = hub.SocketCount, topics = hub.Topics() }));
        return endpoints;
    }

    /// <summary>
    /// Connect-time auth as Realtime does it (docs/supabase-contract.md §4.1): the <c>x-api-key</c> header or the <c>apikey</c> query
    /// parameter must be a valid JWT with role and exp (new-format keys are mapped to JWTs first, like Kong); failures
    /// are refused before the upgrade with <c>{"error": "..."}</c>.
    /// </summary>
    private static async Task ConnectAsync(HttpContext context, RealtimeJwt jwt, RealtimeHub hub, RealtimeTokenLog log, TimeProvider time, ILoggerFactory loggers)
    {
        var apiKey = context.Request.Headers["x-api-key"].FirstOrDefault() ?? context.Request.Query["apikey"].FirstOrDefault();
        var token = jwt.GatewayKey(apiKey);
        var check = jwt.Check(token);
        log.Record(new RealtimeTokenEntry(time.GetUtcNow(), "connect", null, token, Text(check.Claims?["sub"]), Text(check.Claims?["role"]),
            Text(check.Claims?["session_id"]), check.Exp, check.IsValid, check.Error));
        if (!check.IsValid)
        {
            await Results.Json(new { error = check.Error }, statusCode: StatusCodes.Status401Unauthorized).ExecuteAsync(context);
            return;
        }
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Results.Json(new { error = "Expected a websocket upgrade" }, statusCode: StatusCodes.Status400BadRequest).ExecuteAsync(context);
            return;
        }

        var vsn = context.Request.Query["vsn"].FirstOrDefault() ?? "1.0.0";
        if (vsn is not ("1.0.0" or "2.0.0"))
        {
            await Results.Json(new { error = $"Unsupported serializer version {vsn}" }, statusCode: StatusCodes.Status400BadRequest).ExecuteAsync(context);
            return;
        }
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var session = new RealtimeSocket(socket, vsn == "2.0.0", token!, hub, jwt, log, time, loggers.CreateLogger<RealtimeSocket>());
        await session.RunAsync(context.RequestAborted);
    }

    /// <summary>POST /realtime/v1/api/broadcast {messages:[{topic, event, payload, private}]} → 202 (docs/supabase-contract.md §4.5).</summary>
    private static async Task<IResult> BroadcastAsync(HttpContext context, RealtimeJwt jwt, RealtimeHub hub, RealtimeTokenLog log, TimeProvider time)
    {
        var apiKey = jwt.Check(jwt.GatewayKey(context.Request.Headers["apikey"].FirstOrDefault()));
        var bearer = context.Request.Headers.Authorization.FirstOrDefault() is { } header && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            ? jwt.GatewayKey(header["Bearer ".Length..].Trim())
            : null;
        var user = bearer is null ? apiKey : jwt.Check(bearer);
        log.Record(new RealtimeTokenEntry(time.GetUtcNow(), "rest", null, bearer, Text(user.Claims?["sub"]), Text(user.Claims?["role"]),
            Text(user.Claims?["session_id"]), user.Exp, apiKey.IsValid && user.IsValid, apiKey.Error ?? user.Error));
        if (!apiKey.IsValid || !user.IsValid)
        {
            return Results.Json(new { error = apiKey.Error ?? user.Error }, statusCode: StatusCodes.Status401Unauthorized);
        }

        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (System.Text.Json.JsonException)
        {
            return Results.Json(new { error = "Invalid JSON body" }, statusCode: StatusCodes.Status400BadRequest);
        }
        if (body?["messages"] is not JsonArray messages)
        {
            return Results.Json(new { error = "Expected {\"messages\": [...]}" }, statusCode: StatusCodes.Status400BadRequest);
        }
        foreach (var message in messages.OfType<JsonObject>())
        {
            if (Text(message["topic"]) is { } topic && Text(message["event"]) is { } name)
            {
                var fullTopic = topic.StartsWith("realtime:", StringComparison.Ordinal) ? topic : "realtime:" + topic;
                hub.Broadcast(fullTopic, new UserBroadcast(name, message["payload"]?.DeepClone(), null, null), sender: null);
            }
        }
        return Results.Accepted();
    }

    private static string? Text(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == System.Text.Json.JsonValueKind.String ? value.GetValue<string>() : null;
}
