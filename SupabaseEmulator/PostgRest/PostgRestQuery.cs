using System.Globalization;
using System.Text;

namespace SupabaseEmulator.PostgRest;

/// <summary>A request's query string turned into SQL fragments: identifiers checked against the table, values as parameters.</summary>
public sealed class PostgRestQuery
{
    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { "select", "order", "limit", "offset", "on_conflict", "columns" };

    private PostgRestQuery(TableInfo table) => Table = table;

    public TableInfo Table { get; }

    public string QualifiedTable => "public." + Quote(Table.Name);

    /// <summary>Projection for the response, e.g. <c>"id", "title" as "heading"</c> or <c>*</c>.</summary>
    public string Select { get; private set; } = "*";

    public string Where { get; private set; } = "";

    public string OrderBy { get; private set; } = "";

    public int? Limit { get; private set; }

    public int Offset { get; private set; }

    /// <summary>Explicit on_conflict target, or null for the primary key.</summary>
    public IReadOnlyList<string>? OnConflict { get; private set; }

    /// <summary>The <c>columns</c> parameter of an insert, or null for the body's keys.</summary>
    public IReadOnlyList<string>? Columns { get; private set; }

    public List<object> Parameters { get; } = [];

    public static (PostgRestQuery? Query, IResult? Problem) Parse(TableInfo table, IQueryCollection query)
    {
        var result = new PostgRestQuery(table);
        var conditions = new List<string>();
        foreach (var (key, values) in query)
        {
            foreach (var value in values.Select(v => v ?? ""))
            {
                var problem = key switch
                {
                    "select" => result.ParseSelect(value),
                    "order" => result.ParseOrder(value),
                    "limit" => ParseCount(value, "limit", n => result.Limit = n),
                    "offset" => ParseCount(value, "offset", n => result.Offset = n),
                    "on_conflict" => result.ParseNames(value, "on_conflict", names => result.OnConflict = names),
                    "columns" => result.ParseNames(value, "columns", names => result.Columns = names),
                    _ => result.ParseFilter(key, value, conditions),
                };
                if (problem is not null)
                {
                    return (null, problem);
                }
            }
        }
        result.Where = conditions.Count == 0 ? "" : " where " + string.Join(" and ", conditions);
        return (result, null);
    }

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    public IResult? UnknownColumn(string column) =>
        PostgRestErrors.Error(400, "42703", $"column {Table.Name}.{column} does not exist");

    private IResult? ParseSelect(string value)
    {
        if (value.Trim() is "" or "*")
        {
            Select = "*";
            return null;
        }
        var items = new List<string>();
        foreach (var raw in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (raw.Contains('(', StringComparison.Ordinal))
            {
                return PostgRestErrors.Error(400, "PGRST100", $"\"failed to parse select parameter ({value})\"", "Embedded resources are not supported by the emulator");
            }
            var (alias, column) = raw.IndexOf(':', StringComparison.Ordinal) is var colon and > 0 && !raw.Contains("::", StringComparison.Ordinal)
                ? (raw[..colon], raw[(colon + 1)..])
                : (null, raw);
            if (column == "*")
            {
                items.Add("*");
                continue;
            }
            if (!Table.Columns.ContainsKey(column))
            {
                return UnknownColumn(column);
            }
            items.Add(alias is null ? Quote(column) : $"{Quote(column)} as {Quote(alias)}");
        }
        Select = items.Count == 0 ? "*" : string.Join(", ", items);
        return null;
    }

    private IResult? ParseOrder(string value)
    {
        var terms = new List<string>();
        foreach (var term in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = term.Split('.');
            if (!Table.Columns.ContainsKey(parts[0]))
            {
                return UnknownColumn(parts[0]);
            }
            var sql = new StringBuilder(Quote(parts[0]));
            foreach (var modifier in parts.Skip(1))
            {
                var fragment = modifier switch
                {
                    "asc" => " asc",
                    "desc" => " desc",
                    "nullsfirst" => " nulls first",
                    "nullslast" => " nulls last",
                    _ => null,
                };
                if (fragment is null)
                {
                    return PostgRestErrors.Error(400, "PGRST100", $"\"failed to parse order ({value})\"", $"unexpected \"{modifier}\"");
                }
                sql.Append(fragment);
            }
            terms.Add(sql.ToString());
        }
        OrderBy = terms.Count == 0 ? "" : " order by " + string.Join(", ", terms);
        return null;
    }

    private static IResult? ParseCount(string value, string name, Action<int> set)
    {
        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return PostgRestErrors.Error(400, "PGRST100", $"\"failed to parse {name} parameter ({value})\"");
        }
        set(number);
        return null;
    }

    private IResult? ParseNames(string value, string name, Action<IReadOnlyList<string>> set)
    {
        var names = value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(n => n.Trim('"')).ToList();
        if (names.FirstOrDefault(n => !Table.Columns.ContainsKey(n)) is { } unknown)
        {
            return name == "columns"
                ? PostgRestErrors.Error(400, "PGRST204", $"Could not find the '{unknown}' column of '{Table.Name}' in the schema cache")
                : UnknownColumn(unknown);
        }
        set(names);
        return null;
    }

    private IResult? ParseFilter(string column, string expression, List<string> conditions)
    {
        if (Reserved.Contains(column))
        {
            return null;
        }
        if (!Table.Columns.TryGetValue(column, out var type))
        {
            return UnknownColumn(column);
        }
        var negate = expression.StartsWith("not.", StringComparison.Ordinal);
        if (negate)
        {
            expression = expression[4..];
        }
        var dot = expression.IndexOf('.', StringComparison.Ordinal);
        if (dot < 0)
        {
            return FilterError(expression);
        }
        var op = expression[..dot];
        var operand = expression[(dot + 1)..];
        var target = Quote(column);
        string? condition = op switch
        {
            "eq" or "neq" or "gt" or "gte" or "lt" or "lte" => $"{target} {SqlOperator(op)} cast({Add(operand)} as {type})",
            "like" => $"{target}::text like {Add(operand.Replace('*', '%'))}",
            "ilike" => $"{target}::text ilike {Add(operand.Replace('*', '%'))}",
            "is" => operand switch
            {
                "null" => $"{target} is null",
                "not_null" => $"{target} is not null",
                "true" => $"{target} is true",
                "false" => $"{target} is false",
                "unknown" => $"{target} is unknown",
                _ => null,
            },
            "in" when operand.StartsWith('(') && operand.EndsWith(')') => $"{target} = any(cast({Add(ParseList(operand[1..^1]))} as {type}[]))",
            _ => null,
        };
        if (condition is null)
        {
            return FilterError(expression);
        }
        conditions.Add(negate ? $"not ({condition})" : condition);
        return null;
    }

    private static IResult FilterError(string expression) =>
        PostgRestErrors.Error(400, "PGRST100", $"\"failed to parse filter ({expression})\"");

    private static string SqlOperator(string op) => op switch
    {
        "eq" => "=",
        "neq" => "<>",
        "gt" => ">",
        "gte" => ">=",
        "lt" => "<",
        _ => "<=",
    };

    private string Add(object value)
    {
        Parameters.Add(value);
        return "$" + Parameters.Count.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>A comma list where values may be double-quoted (to contain commas or parentheses).</summary>
    private static string[] ParseList(string list)
    {
        var values = new List<string>();
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < list.Length; i++)
        {
            var c = list[i];
            if (c == '"')
            {
                quoted = !quoted;
            }
            else if (c == '\\' && quoted && i + 1 < list.Length)
            {
                current.Append(list[++i]);
            }
            else if (c == ',' && !quoted)
            {
                values.Add(current.ToString());
                current.Clear();
            }
            else
            {
                current.Append(c);
            }
        }
        if (list.Length > 0)
        {
            values.Add(current.ToString());
        }
        return [.. values];
    }
}
