using SupabaseEmulator.Database;

namespace SupabaseEmulator.PostgRest;

/// <summary>A table of the exposed schema: its columns (name → SQL type) and primary key.</summary>
public sealed record TableInfo(string Name, IReadOnlyDictionary<string, string> Columns, IReadOnlyList<string> PrimaryKey);

/// <summary>
/// PostgREST's schema cache, reduced: the tables and views of schema public. Every identifier in a request is
/// checked against it before it is quoted into SQL. Read fresh on each request, so migrations apply at once.
/// </summary>
public sealed class TableCatalog(EmulatorDatabase database)
{
    public async Task<TableInfo?> FindAsync(string table, CancellationToken ct)
    {
        await using var command = database.Admin.CreateCommand(
            "select a.attname, format_type(a.atttypid, a.atttypmod), coalesce(a.attnum = any(i.indkey), false) " +
            "from pg_class c join pg_namespace n on n.oid = c.relnamespace " +
            "join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped " +
            "left join pg_index i on i.indrelid = c.oid and i.indisprimary " +
            "where n.nspname = 'public' and c.relname = $1 and c.relkind in ('r', 'v', 'm', 'p', 'f') order by a.attnum");
        command.Parameters.Add(new() { Value = table });
        var columns = new Dictionary<string, string>(StringComparer.Ordinal);
        var primaryKey = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct))
        {
            columns[reader.GetString(0)] = reader.GetString(1);
            if (reader.GetBoolean(2))
            {
                primaryKey.Add(reader.GetString(0));
            }
        }
        return columns.Count == 0 ? null : new TableInfo(table, columns, primaryKey);
    }
}
