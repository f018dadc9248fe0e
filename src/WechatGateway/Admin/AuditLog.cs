using Dapper;
using MySqlConnector;

namespace WechatGateway.Admin;

/// <param name="StoreId">The store the call named or concerned; on a refused call, what was asked for, which may not exist.</param>
public sealed record AuditEntry(ulong Id, DateTime At, string Actor, string Role, string Method, string Path, string? Body, int? StatusCode, string? RemoteIp, long? StoreId)
{
    /// <summary><c>done</c> (2xx/3xx), <c>refused</c> (4xx/5xx: nothing changed) or <c>pending</c> (no answer recorded).</summary>
    public string Outcome => StatusCode switch
    {
        null => "pending",
        < 400 => "done",
        _ => "refused",
    };
}

/// <summary>
/// The <c>admin_audit</c> table: one row per admin write or audited read, opened before it runs and closed with its
/// outcome and the store it concerned.
/// </summary>
public sealed class AuditLog(MySqlDataSource dataSource, TimeProvider time)
{
    public async Task<ulong> BeginAsync(string actor, string role, string method, string path, string? body, string? remoteIp, CancellationToken ct)
    {
        const string sql = """
            INSERT INTO admin_audit (at, actor, role, method, path, body, remote_ip)
            VALUES (@at, @actor, @role, @method, @path, @body, @remoteIp);
            SELECT LAST_INSERT_ID();
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        return await connection.ExecuteScalarAsync<ulong>(new CommandDefinition(sql, new
        {
            at = time.GetUtcNow().UtcDateTime,
            actor,
            role,
            method,
            path = path.Length > 500 ? path[..500] : path,
            body,
            remoteIp,
        }, cancellationToken: ct));
    }

    public async Task CompleteAsync(ulong id, int statusCode, long? storeId, CancellationToken ct)
    {
        const string sql = "UPDATE admin_audit SET status_code = @statusCode, store_id = @storeId, completed_at = @now WHERE id = @id";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await connection.ExecuteAsync(new CommandDefinition(sql, new { id, statusCode, storeId, now = time.GetUtcNow().UtcDateTime }, cancellationToken: ct));
    }

    /// <summary>
    /// Newest first; <paramref name="before"/> is the id to continue below (keyset paging). <paramref name="stores"/>
    /// limits the rows to those stores (null: every row); without <paramref name="withBodies"/> request bodies are left out.
    /// </summary>
    public async Task<IReadOnlyList<AuditEntry>> ListAsync(int limit, ulong? before, IReadOnlyList<long>? stores, bool withBodies, CancellationToken ct)
    {
        var sql = $"""
            SELECT id AS Id, at AS At, actor AS Actor, role AS Role, method AS Method, path AS Path,
                   IF(@withBodies, body, NULL) AS Body, status_code AS StatusCode, remote_ip AS RemoteIp, store_id AS StoreId
            FROM admin_audit
            WHERE (@before IS NULL OR id < @before)
              {(stores is null ? "" : "AND store_id IN @stores")}
            ORDER BY id DESC
            LIMIT @limit
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<Row>(new CommandDefinition(sql, new { limit, before, stores, withBodies }, cancellationToken: ct));
        return rows.Select(r => new AuditEntry(r.Id, r.At, r.Actor, r.Role, r.Method, r.Path, r.Body, r.StatusCode, r.RemoteIp, (long?)r.StoreId)).ToList();
    }

    private sealed record Row(ulong Id, DateTime At, string Actor, string Role, string Method, string Path, string? Body, int? StatusCode, string? RemoteIp, ulong? StoreId);
}
