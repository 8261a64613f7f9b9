using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Npgsql;
using SupabaseStandIn.Database;
using SupabaseStandIn.GoTrue;

namespace SupabaseStandIn.PostgRest;

/// <summary>
/// PostgREST behind the gateway (/rest/v1/{table}), contract §3: JWT rules and errors as PostgREST's, and each
/// request run as the token's role with request.jwt.claims set, so PostgreSQL's RLS really decides what is seen.
/// Identifiers are checked against the catalog; values only travel as parameters.
/// </summary>
public static class PostgRestEndpoints
{
    private static readonly string[] Roles = ["anon", "authenticated", "service_role"];

    public static IEndpointRouteBuilder MapPostgRest(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapMethods("/rest/v1/{table}", ["GET", "POST", "PATCH", "DELETE"], HandleAsync);
        return endpoints;
    }

    private static async Task<IResult> HandleAsync(HttpContext context, string table, StandInDatabase db, StandInJwt jwt)
    {
        // 1. Who is asking (§3.1): no token → anon; anything but a valid kid-less HS256 JWT → 401.
        var claims = new JsonObject { ["role"] = "anon" };
        var header = context.Request.Headers.Authorization.ToString();
        if (header.Length > 0)
        {
            var token = header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : header;
            switch (jwt.Verify(token, 30, out var verified))
            {
                case JwtProblem.None:
                    claims = verified!;
                    break;
                case JwtProblem.Expired:
                    return JwtError(context, "PGRST303", "JWT expired");
                case JwtProblem.Malformed when token.Split('.').Length != 3:
                    return JwtError(context, "PGRST301", token.Length == 0 ? "Empty JWT is sent in Authorization header" : $"Expected 3 parts in JWT; got {token.Split('.').Length}");
                case JwtProblem.UnknownKid:
                    return JwtError(context, "PGRST301", "No suitable key or wrong key type");
                case JwtProblem.WrongAlgorithm:
                    return JwtError(context, "PGRST301", "Wrong or unsupported encoding algorithm");
                default:
                    return JwtError(context, "PGRST301", "JWT cryptographic operation failed");
            }
        }
        var role = claims["role"]?.ToString() ?? "anon";
        if (!Roles.Contains(role))
        {
            return Error(401, "22023", $"role \"{role}\" does not exist", null);
        }

        await using var connection = await db.DataSource.OpenConnectionAsync();
        var columns = await ColumnsAsync(connection, table);
        if (columns.Count == 0)
        {
            return Error(404, "PGRST205", $"Could not find the table 'public.{table}' in the schema cache", null);
        }

        // 2. Build the statement from the query grammar subset.
        var parameters = new List<object?>();
        var where = new List<string>();
        string? select = null, order = null, limit = null, offset = null;
        foreach (var (key, values) in context.Request.Query)
        {
            var value = values.ToString();
            switch (key)
            {
                case "select": select = value; break;
                case "order": order = value; break;
                case "limit": limit = value; break;
                case "offset": offset = value; break;
                case "on_conflict" or "columns": break;
                default:
                    if (!columns.ContainsKey(key))
                    {
                        return Error(400, "42703", $"column {table}.{key} does not exist", null);
                    }
                    if (Filter(key, columns[key], value, parameters) is not { } condition)
                    {
                        return Error(400, "PGRST100", $"\"failed to parse filter ({value})\"", null);
                    }
                    where.Add(condition);
                    break;
            }
        }
        var selectList = "*";
        if (!string.IsNullOrEmpty(select) && select != "*")
        {
            var names = select.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            if (names.Any(n => !columns.ContainsKey(n)))
            {
                return Error(400, "42703", $"column {table}.{names.First(n => !columns.ContainsKey(n))} does not exist", null);
            }
            selectList = string.Join(", ", names.Select(Quote));
        }
        var whereSql = where.Count == 0 ? "" : " where " + string.Join(" and ", where);
        var prefer = context.Request.Headers["Prefer"].ToString();
        var representation = prefer.Contains("return=representation", StringComparison.Ordinal);
        var method = context.Request.Method;
        string sql;
        if (method == "GET")
        {
            var orderSql = "";
            if (!string.IsNullOrEmpty(order))
            {
                var parts = new List<string>();
                foreach (var term in order.Split(','))
                {
                    var bits = term.Split('.');
                    if (!columns.ContainsKey(bits[0]))
                    {
                        return Error(400, "42703", $"column {table}.{bits[0]} does not exist", null);
                    }
                    parts.Add(Quote(bits[0]) + (bits.Contains("desc") ? " desc" : " asc"));
                }
                orderSql = " order by " + string.Join(", ", parts);
            }
            var limitSql = int.TryParse(limit, out var l) ? $" limit {l}" : "";
            var offsetSql = int.TryParse(offset, out var o) ? $" offset {o}" : "";
            sql = $"select coalesce(json_agg(t), '[]'::json)::text from (select {selectList} from public.{Quote(table)}{whereSql}{orderSql}{limitSql}{offsetSql}) t";
        }
        else if (method == "POST")
        {
            JsonNode? body;
            try
            {
                body = await JsonNode.ParseAsync(context.Request.Body);
            }
            catch (JsonException)
            {
                return Error(400, "PGRST102", "Empty or invalid json", null);
            }
            var rows = body switch { JsonArray array => array.OfType<JsonObject>().ToList(), JsonObject one => [one], _ => [] };
            if (rows.Count == 0)
            {
                return Error(400, "PGRST102", "Empty or invalid json", null);
            }
            var keys = rows.SelectMany(r => r.Select(p => p.Key)).Distinct().ToList();
            if (keys.FirstOrDefault(k => !columns.ContainsKey(k)) is { } unknown)
            {
                return Error(400, "PGRST204", $"Could not find the '{unknown}' column of '{table}' in the schema cache", null);
            }
            parameters.Add(new JsonArray([.. rows.Select(r => (JsonNode)r.DeepClone())]).ToJsonString());
            var columnList = string.Join(", ", keys.Select(Quote));
            var upsert = prefer.Contains("resolution=merge-duplicates", StringComparison.Ordinal)
                ? $" on conflict (id) do update set {string.Join(", ", keys.Where(k => k != "id").Select(k => $"{Quote(k)} = excluded.{Quote(k)}"))}"
                : prefer.Contains("resolution=ignore-duplicates", StringComparison.Ordinal) ? " on conflict do nothing" : "";
            sql = $"with t as (insert into public.{Quote(table)} ({columnList}) select {columnList} from json_populate_recordset(null::public.{Quote(table)}, $1::json){upsert} returning *) " +
                  "select coalesce(json_agg(t), '[]'::json)::text from t";
        }
        else if (method == "PATCH")
        {
            var body = await JsonNode.ParseAsync(context.Request.Body) as JsonObject;
            if (body is null || body.Count == 0)
            {
                return Error(400, "PGRST102", "Empty or invalid json", null);
            }
            if (body.Select(p => p.Key).FirstOrDefault(k => !columns.ContainsKey(k)) is { } unknown)
            {
                return Error(400, "PGRST204", $"Could not find the '{unknown}' column of '{table}' in the schema cache", null);
            }
            parameters.Add(body.ToJsonString());
            var index = parameters.Count;
            var set = string.Join(", ", body.Select(p => $"{Quote(p.Key)} = (json_populate_record(null::public.{Quote(table)}, ${index}::json)).{Quote(p.Key)}"));
            sql = $"with t as (update public.{Quote(table)} set {set}{whereSql} returning *) select coalesce(json_agg(t), '[]'::json)::text from t";
        }
        else
        {
            sql = $"with t as (delete from public.{Quote(table)}{whereSql} returning *) select coalesce(json_agg(t), '[]'::json)::text from t";
        }

        // 3. Run it as the token's role, with the claims where auth.uid()/auth.jwt() read them.
        string json;
        try
        {
            await using var transaction = await connection.BeginTransactionAsync();
            await using (var setup = new NpgsqlCommand(
                $"select set_config('role', $1, true), set_config('request.jwt.claims', $2, true), set_config('request.jwt.claim.sub', $3, true), set_config('request.jwt.claim.role', $1, true)",
                connection, transaction))
            {
                setup.Parameters.Add(new() { Value = role });
                setup.Parameters.Add(new() { Value = claims.ToJsonString() });
                setup.Parameters.Add(new() { Value = claims["sub"]?.ToString() ?? "" });
                await setup.ExecuteNonQueryAsync();
            }
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            foreach (var parameter in parameters)
            {
                command.Parameters.Add(new() { Value = parameter ?? DBNull.Value });
            }
            json = (string)(await command.ExecuteScalarAsync())!;
            await transaction.CommitAsync();
        }
        catch (PostgresException e)
        {
            var status = e.SqlState switch
            {
                "42501" => role == "anon" ? 401 : 403,
                "23505" => 409,
                "23503" or "23502" or "23514" or "22P02" or "22023" => 400,
                "P0001" => 400,
                _ => 400,
            };
            return Error(status, e.SqlState, e.MessageText, e.Detail);
        }

        var result = JsonNode.Parse(json)!.AsArray();
        if (context.Request.Headers.Accept.ToString().Contains("application/vnd.pgrst.object+json", StringComparison.Ordinal))
        {
            return result.Count == 1
                ? Results.Text(result[0]!.ToJsonString(), "application/vnd.pgrst.object+json; charset=utf-8")
                : Error(406, "PGRST116", "Cannot coerce the result to a single JSON object", $"The result contains {result.Count} rows");
        }
        if (prefer.Contains("count=exact", StringComparison.Ordinal))
        {
            context.Response.Headers["Content-Range"] = result.Count == 0 ? "*/0" : $"0-{result.Count - 1}/{result.Count}";
        }
        return method switch
        {
            "GET" => Results.Text(json, "application/json; charset=utf-8"),
            "POST" => representation ? Results.Text(json, "application/json; charset=utf-8", statusCode: 201) : Results.StatusCode(201),
            _ => representation ? Results.Text(json, "application/json; charset=utf-8") : Results.NoContent(),
        };
    }

    private static string? Filter(string column, string type, string expression, List<object?> parameters)
    {
        var dot = expression.IndexOf('.');
        if (dot < 0)
        {
            return null;
        }
        var op = expression[..dot];
        var negate = false;
        if (op == "not")
        {
            negate = true;
            expression = expression[(dot + 1)..];
            dot = expression.IndexOf('.');
            if (dot < 0)
            {
                return null;
            }
            op = expression[..dot];
        }
        var operand = expression[(dot + 1)..];
        var target = $"{Quote(column)}::text";
        string? condition;
        switch (op)
        {
            case "eq" or "neq" or "gt" or "gte" or "lt" or "lte":
                parameters.Add(operand);
                var sqlOp = op switch { "eq" => "=", "neq" => "<>", "gt" => ">", "gte" => ">=", "lt" => "<", _ => "<=" };
                condition = $"{Quote(column)} {sqlOp} cast(${parameters.Count} as {type})";
                break;
            case "like" or "ilike":
                parameters.Add(operand.Replace('*', '%'));
                condition = $"{target} {(op == "like" ? "like" : "ilike")} ${parameters.Count}";
                break;
            case "is":
                condition = operand switch
                {
                    "null" => $"{Quote(column)} is null",
                    "true" => $"{Quote(column)} is true",
                    "false" => $"{Quote(column)} is false",
                    _ => null,
                };
                break;
            case "in":
                var list = operand.Trim('(', ')').Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
                    .Select(v => v.Trim('"')).ToArray();
                parameters.Add(list);
                condition = $"{target} = any(${parameters.Count}::text[])";
                break;
            default:
                condition = null;
                break;
        }
        return condition is null ? null : negate ? $"not ({condition})" : condition;
    }

    private static async Task<Dictionary<string, string>> ColumnsAsync(NpgsqlConnection connection, string table)
    {
        await using var command = new NpgsqlCommand(
            "select column_name, format_type(a.atttypid, a.atttypmod) from information_schema.columns c " +
            "join pg_attribute a on a.attrelid = ('public.' || quote_ident(c.table_name))::regclass and a.attname = c.column_name " +
            "where c.table_schema = 'public' and c.table_name = $1", connection) { Parameters = { new() { Value = table } } };
        var columns = new Dictionary<string, string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            columns[reader.GetString(0)] = reader.GetString(1);
        }
        return columns;
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"") + "\"";

    private static IResult JwtError(HttpContext context, string code, string message)
    {
        context.Response.Headers.WWWAuthenticate = $"Bearer error=\"invalid_token\", error_description=\"{message}\"";
        return Error(401, code, message, null);
    }

    private static IResult Error(int status, string code, string message, string? details) =>
        Results.Json(new JsonObject { ["code"] = code, ["details"] = details, ["hint"] = null, ["message"] = message }, statusCode: status);
}
