using System.Text.Json;
using Dapper;
using MySqlConnector;
using WechatGateway.Points;

namespace WechatGateway.Segments;

/// <summary>A saved segment: its account is the filter's.</summary>
public sealed record Segment(ulong Id, string? AppId, string Name, SegmentFilter Filter);

/// <summary>A saved segment as the admin API lists it.</summary>
public sealed record SegmentView(ulong Id, string? AppId, string Name, SegmentFilter Filter, string CreatedBy, DateTime CreatedAt, DateTime UpdatedAt);

/// <summary>Saved segments (<c>segment</c>): the filter is stored as its JSON.</summary>
public sealed class SegmentStore(MySqlDataSource dataSource, PointsTiers tiers, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    private const string Columns = "id AS Id, name AS Name, filter AS Filter, created_by AS CreatedBy, created_at AS CreatedAt, updated_at AS UpdatedAt";

    private sealed record Row(ulong Id, string Name, string Filter, string CreatedBy, DateTime CreatedAt, DateTime UpdatedAt);

    /// <summary>The segment, or null when there is none or it was deleted.</summary>
    public async Task<Segment?> GetAsync(ulong id, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await GetAsync(c, null, id, ct);
    }

    /// <summary>The segment read on the caller's connection (and transaction), or null when there is none or it was deleted.</summary>
    public async Task<Segment?> GetAsync(MySqlConnection connection, MySqlTransaction? transaction, ulong id, CancellationToken ct) =>
        await ReadAsync(connection, transaction, id, ct) is { } row ? ToSegment(row) : null;

    public async Task<SegmentView?> GetViewAsync(ulong id, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await ReadAsync(c, null, id, ct) is { } row ? ToView(row) : null;
    }

    public async Task<IReadOnlyList<SegmentView>> ListAsync(ulong? after, int limit, CancellationToken ct)
    {
        var sql = $"SELECT {Columns} FROM segment WHERE deleted_at IS NULL AND (@after IS NULL OR id > @after) ORDER BY id LIMIT @limit";
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var rows = await c.QueryAsync<Row>(new CommandDefinition(sql, new { after, limit }, cancellationToken: ct));
        return rows.Select(ToView).ToList();
    }

    public async Task<ulong> CreateAsync(string name, SegmentFilter filter, string createdBy, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO segment (name, filter, created_by, created_at, updated_at) VALUES (@name, @filter, @createdBy, @now, @now);
            SELECT LAST_INSERT_ID();
            """;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await c.ExecuteScalarAsync<ulong>(new CommandDefinition(sql, new { name, filter = Serialize(filter), createdBy, now = Now }, cancellationToken: ct));
    }

    /// <summary>Replaces name and filter; false when the segment does not exist (or was deleted).</summary>
    public async Task<bool> UpdateAsync(ulong id, string name, SegmentFilter filter, CancellationToken ct)
    {
        const string sql = "UPDATE segment SET name = @name, filter = @filter, updated_at = @now WHERE id = @id AND deleted_at IS NULL";
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(sql, new { id, name, filter = Serialize(filter), now = Now }, cancellationToken: ct)) == 1;
    }

    /// <summary>Deletes (keeps the row, see the migration); false when there is no such segment.</summary>
    public async Task<bool> DeleteAsync(ulong id, CancellationToken ct)
    {
        const string sql = "UPDATE segment SET deleted_at = @now WHERE id = @id AND deleted_at IS NULL";
        await using var c = await dataSource.OpenConnectionAsync(ct);
        return await c.ExecuteAsync(new CommandDefinition(sql, new { id, now = Now }, cancellationToken: ct)) == 1;
    }

    public static string Serialize(SegmentFilter filter) => JsonSerializer.Serialize(filter, Json);

    private DateTime Now => time.GetUtcNow().UtcDateTime;

    private static async Task<Row?> ReadAsync(MySqlConnection connection, MySqlTransaction? transaction, ulong id, CancellationToken ct) =>
        await connection.QuerySingleOrDefaultAsync<Row>(new CommandDefinition(
            $"SELECT {Columns} FROM segment WHERE id = @id AND deleted_at IS NULL", new { id }, transaction, cancellationToken: ct));

    private SegmentFilter Parse(string json) =>
        (JsonSerializer.Deserialize<SegmentFilter>(json, Json) ?? new SegmentFilter()) with { LowestTier = tiers.Lowest };

    private Segment ToSegment(Row row)
    {
        var filter = Parse(row.Filter);
        return new Segment(row.Id, filter.AppId, row.Name, filter);
    }

    private SegmentView ToView(Row row)
    {
        var filter = Parse(row.Filter);
        return new SegmentView(row.Id, filter.AppId, row.Name, filter, row.CreatedBy, row.CreatedAt, row.UpdatedAt);
    }
}
