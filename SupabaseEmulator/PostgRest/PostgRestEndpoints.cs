using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;
using SupabaseEmulator.Database;
using SupabaseEmulator.GoTrue;

namespace SupabaseEmulator.PostgRest;

/// <summary>
/// PostgREST behind the gateway (/rest/v1/{table}, docs/supabase-contract.md §3). Each request is one transaction on the
/// authenticator connection: <c>SET LOCAL ROLE</c> to the token's role and the claims in <c>request.jwt.claims</c>,
/// so PostgreSQL's grants and RLS policies decide what is seen and written. Identifiers are checked against the
/// catalog and quoted; values only travel as parameters.
/// </summary>
public static class PostgRestEndpoints
{
    private const string ObjectMediaType = "application/vnd.pgrst.object+json";

    public static IServiceCollection AddPostgRestEmulator(this IServiceCollection services)
    {
        services.TryAddSingleton<TableCatalog>();
        return services;
    }

    public static IEndpointRouteBuilder MapPostgRest(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMethods("/rest/v1/{table}", ["GET", "HEAD", "POST", "PATCH", "DELETE"], HandleAsync);
        endpoints.MapMethods("/rest/v1/", ["GET"], () => PostgRestErrors.Error(404, "PGRST125", "The OpenAPI description is not served by the emulator"));
        return endpoints;
    }

    private static async Task<IResult> HandleAsync(HttpContext context, string table, EmulatorDatabase database, TableCatalog catalog, EmulatorJwt jwt, CancellationToken ct)
    {
        var (identity, authProblem) = RequestIdentity.FromRequest(context, jwt);
        if (identity is null)
        {
            return authProblem!;
        }
        if (await catalog.FindAsync(table, ct) is not { } info)
        {
            return PostgRestErrors.Error(404, "PGRST205", $"Could not find the table 'public.{table}' in the schema cache");
        }
        var (query, queryProblem) = PostgRestQuery.Parse(info, context.Request.Query);
        if (query is null)
        {
            return queryProblem!;
        }
        var prefer = Preferences(context.Request);
        var method = context.Request.Method;
        var isRead = method is "GET" or "HEAD";
        var representation = isRead || prefer.Contains("return=representation");
        var singular = context.Request.Headers.Accept.ToString().Contains(ObjectMediaType, StringComparison.OrdinalIgnoreCase);

        var (statement, statementProblem) = method switch
        {
            "GET" or "HEAD" => (ReadSql(query), null),
            "POST" => await InsertSqlAsync(context, query, prefer, representation, ct),
            "PATCH" => await UpdateSqlAsync(context, query, representation, ct),
            _ => (Returning(query, $"delete from {query.QualifiedTable}{query.Where}", representation), null),
        };
        if (statement is null)
        {
            return statementProblem!;
        }

        await using var connection = await database.Authenticator.OpenConnectionAsync(ct);
        await using var transaction = await connection.BeginTransactionAsync(ct);
        string json;
        long affected;
        long? total = null;
        try
        {
            await using (var setup = new NpgsqlCommand(
                "select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('request.jwt.claim.sub', $3, true), " +
                "set_config('request.jwt.claim.role', $1, true), set_config('request.method', $4, true), set_config('request.path', $5, true)",
                connection, transaction))
            {
                setup.Parameters.Add(new() { Value = identity.Role });
                setup.Parameters.Add(new() { Value = identity.Claims.ToJsonString() });
                setup.Parameters.Add(new() { Value = identity.Claims["sub"]?.ToString() ?? "" });
                setup.Parameters.Add(new() { Value = method });
                setup.Parameters.Add(new() { Value = context.Request.Path.Value ?? "" });
                await setup.ExecuteNonQueryAsync(ct);
            }
            await using var command = new NpgsqlCommand(statement, connection, transaction);
            foreach (var parameter in query.Parameters)
            {
                command.Parameters.Add(new() { Value = parameter });
            }
            if (representation)
            {
                json = (string)(await command.ExecuteScalarAsync(ct))!;
                affected = JsonNode.Parse(json)!.AsArray().Count;
            }
            else
            {
                affected = await command.ExecuteNonQueryAsync(ct);
                json = "[]";
            }
            if (isRead && prefer.Contains("count=exact"))
            {
                await using var count = new NpgsqlCommand($"select count(*) from {query.QualifiedTable}{query.Where}", connection, transaction);
                foreach (var parameter in query.Parameters)
                {
                    count.Parameters.Add(new() { Value = parameter });
                }
                total = (long)(await count.ExecuteScalarAsync(ct))!;
            }
            if (singular && affected != 1)
            {
                await transaction.RollbackAsync(ct); // PostgREST undoes a write whose result cannot be one object
                return PostgRestErrors.Error(406, "PGRST116", "Cannot coerce the result to a single JSON object",
                    $"The result contains {affected} rows");
            }
            if (prefer.Contains("tx=rollback"))
            {
                await transaction.RollbackAsync(ct);
            }
            else
            {
                await transaction.CommitAsync(ct);
            }
        }
        catch (PostgresException e)
        {
            return PostgRestErrors.FromPostgres(e, identity.JwtSent);
        }

        var applied = prefer.Where(p => p.StartsWith("return=", StringComparison.Ordinal) || p.StartsWith("resolution=", StringComparison.Ordinal) || p == "count=exact" || p == "tx=rollback").ToList();
        if (applied.Count > 0)
        {
            context.Response.Headers["Preference-Applied"] = string.Join(", ", applied);
        }
        context.Response.Headers["Content-Range"] = ContentRange(query.Offset, isRead ? affected : 0, isRead ? total : null, isRead);
        var status = method switch
        {
            "POST" => 201,
            "PATCH" or "DELETE" => representation ? 200 : 204,
            _ => total is { } all && (query.Offset > 0 || query.Offset + affected < all) ? 206 : 200,
        };
        if (method == "HEAD" || !representation)
        {
            return Results.StatusCode(status);
        }
        var body = singular ? JsonNode.Parse(json)![0]!.ToJsonString() : json;
        return Results.Text(body, (singular ? ObjectMediaType : "application/json") + "; charset=utf-8", statusCode: status);
    }

    private static string ReadSql(PostgRestQuery query)
    {
        var limit = query.Limit is { } l ? " limit " + l.ToString(CultureInfo.InvariantCulture) : "";
        var offset = query.Offset > 0 ? " offset " + query.Offset.ToString(CultureInfo.InvariantCulture) : "";
        return $"select coalesce(json_agg(r), '[]'::json)::text from (select {query.Select} from {query.QualifiedTable}{query.Where}{query.OrderBy}{limit}{offset}) r";
    }

    /// <summary>With return=representation the written rows come back through the select list; otherwise no RETURNING (RLS SELECT policies do not apply).</summary>
    private static string Returning(PostgRestQuery query, string write, bool representation) => representation
        ? $"with written as ({write} returning *) select coalesce(json_agg(r), '[]'::json)::text from (select {query.Select} from written{query.OrderBy}) r"
        : write;

    private static async Task<(string? Sql, IResult? Problem)> InsertSqlAsync(HttpContext context, PostgRestQuery query, HashSet<string> prefer, bool representation, CancellationToken ct)
    {
        var body = await ReadJsonAsync(context.Request, ct);
        var rows = body switch { JsonArray array when array.All(r => r is JsonObject) => array.Cast<JsonObject>().ToList(), JsonObject one => [one], _ => null };
        if (rows is null || rows.Count == 0)
        {
            return (null, PostgRestErrors.Error(400, "PGRST102", "Empty or invalid json"));
        }
        var keys = query.Columns?.ToList() ?? rows.SelectMany(r => r.Select(p => p.Key)).Distinct(StringComparer.Ordinal).ToList();
        if (keys.FirstOrDefault(k => !query.Table.Columns.ContainsKey(k)) is { } unknown)
        {
            return (null, PostgRestErrors.Error(400, "PGRST204", $"Could not find the '{unknown}' column of '{query.Table.Name}' in the schema cache"));
        }
        query.Parameters.Add(new JsonArray([.. rows.Select(r => (JsonNode)r.DeepClone())]).ToJsonString());
        var columns = string.Join(", ", keys.Select(PostgRestQuery.Quote));
        var conflict = "";
        var merge = prefer.Contains("resolution=merge-duplicates");
        if (merge || prefer.Contains("resolution=ignore-duplicates"))
        {
            var target = query.OnConflict ?? query.Table.PrimaryKey;
            if (target.Count == 0)
            {
                return (null, PostgRestErrors.Error(400, "PGRST100", "Upsert needs on_conflict or a primary key"));
            }
            var updates = keys.Select(k => $"{PostgRestQuery.Quote(k)} = excluded.{PostgRestQuery.Quote(k)}").ToList();
            conflict = $" on conflict ({string.Join(", ", target.Select(PostgRestQuery.Quote))})" +
                       (merge && updates.Count > 0 ? " do update set " + string.Join(", ", updates) : " do nothing");
        }
        var write = $"insert into {query.QualifiedTable} ({columns}) select {columns} from json_populate_recordset(null::{query.QualifiedTable}, ${query.Parameters.Count}::json){conflict}";
        return (Returning(query, write, representation), null);
    }

    private static async Task<(string? Sql, IResult? Problem)> UpdateSqlAsync(HttpContext context, PostgRestQuery query, bool representation, CancellationToken ct)
    {
        if (await ReadJsonAsync(context.Request, ct) is not JsonObject body || body.Count == 0)
        {
            return (null, PostgRestErrors.Error(400, "PGRST102", "Empty or invalid json"));
        }
        if (body.Select(p => p.Key).FirstOrDefault(k => !query.Table.Columns.ContainsKey(k)) is { } unknown)
        {
            return (null, PostgRestErrors.Error(400, "PGRST204", $"Could not find the '{unknown}' column of '{query.Table.Name}' in the schema cache"));
        }
        query.Parameters.Add(body.ToJsonString());
        var row = $"json_populate_record(null::{query.QualifiedTable}, ${query.Parameters.Count}::json)";
        var set = string.Join(", ", body.Select(p => $"{PostgRestQuery.Quote(p.Key)} = ({row}).{PostgRestQuery.Quote(p.Key)}"));
        return (Returning(query, $"update {query.QualifiedTable} set {set}{query.Where}", representation), null);
    }

    private static async Task<JsonNode?> ReadJsonAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            return await JsonNode.ParseAsync(request.Body, cancellationToken: ct);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static HashSet<string> Preferences(HttpRequest request) =>
        request.Headers["Prefer"].SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .ToHashSet(StringComparer.Ordinal);

    private static string ContentRange(int offset, long rows, long? total, bool isRead)
    {
        var all = total?.ToString(CultureInfo.InvariantCulture) ?? "*";
        return !isRead || rows == 0 ? $"*/{all}" : $"{offset}-{offset + rows - 1}/{all}";
    }
}
