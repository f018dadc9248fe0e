using System.Globalization;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using MySqlConnector;
using WechatGateway.Operations;

namespace WechatGateway.Admin;

/// <summary><c>/api/admin/api-keys</c>: admins create and revoke keys; a new key is shown once and kept only hashed.</summary>
public static class ApiKeyEndpoints
{
    public sealed record CreateApiKey(string? Name, AdminRole? Role, IReadOnlyList<long>? StoreIds);

    public sealed record CreatedApiKey(ulong Id, string Name, AdminRole Role, IReadOnlyList<long> StoreIds, string Key);

    public sealed record ApiKeySummary(ulong Id, string Name, AdminRole Role, IReadOnlyList<long> StoreIds, string KeyPrefix, DateTime CreatedAt, string CreatedBy, DateTime? RevokedAt);

    public static RouteGroupBuilder MapApiKeys(this RouteGroupBuilder admin)
    {
        var keys = admin.MapGroup("/api-keys").RequireAuthorization(AdminPolicies.AdminOnly);
        keys.MapGet("", ListAsync).WithSummary("Every admin key, revoked ones too; only the prefix of each key is shown.");
        keys.MapPost("", CreateAsync).WithSummary("Creates a key with a role (and stores, for a StoreManager); the key is in this answer only.");
        keys.MapDelete("/{id}", RevokeAsync).WithSummary("Revokes a key: it answers 401 from now on.");
        return admin;
    }

    [ResponseExample("""[ { "id": 7, "name": "jingan-manager", "role": "StoreManager", "storeIds": [3], "keyPrefix": "wgk_3f9a", "createdAt": "2026-11-20T08:00:12", "createdBy": "hq-ops", "revokedAt": null } ]""")]
    public static async Task<Ok<List<ApiKeySummary>>> ListAsync(MySqlDataSource dataSource, CancellationToken ct)
    {
        const string sql = """
            SELECT id, name, role, store_ids, key_prefix, created_at, created_by, revoked_at
            FROM admin_api_key ORDER BY id
            """;
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var rows = await connection.QueryAsync<(ulong Id, string Name, string Role, string StoreIds, string KeyPrefix, DateTime CreatedAt, string CreatedBy, DateTime? RevokedAt)>(
            new CommandDefinition(sql, cancellationToken: ct));
        return TypedResults.Ok(rows.Select(r => new ApiKeySummary(r.Id, r.Name, Enum.Parse<AdminRole>(r.Role), ParseStoreIds(r.StoreIds), r.KeyPrefix, r.CreatedAt, r.CreatedBy, r.RevokedAt)).ToList());
    }

    [RequestExample("""{ "name": "jingan-manager", "role": "StoreManager", "storeIds": [3] }""")]
    [ResponseExample("""{ "id": 7, "name": "jingan-manager", "role": "StoreManager", "storeIds": [3], "key": "wgk_3f9a0c7e51b24d6f8a9e2c4b7d1f0e3a5c8b6d2f" }""")]
    public static async Task<Results<Created<CreatedApiKey>, ValidationProblem>> CreateAsync(
        CreateApiKey request, HttpContext http, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100)
        {
            errors["name"] = ["name is required, at most 100 characters."];
        }

        if (request.Role is null)
        {
            errors["role"] = ["role is required: Admin, StoreManager or Viewer."];
        }

        var stores = request.StoreIds ?? [];
        if (request.Role == AdminRole.StoreManager && stores.Count == 0)
        {
            errors["storeIds"] = ["a StoreManager key needs at least one store."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        const string sql = """
            INSERT INTO admin_api_key (name, key_hash, key_prefix, role, store_ids, created_at, created_by)
            VALUES (@name, @keyHash, @keyPrefix, @role, @storeIds, @now, @createdBy);
            SELECT LAST_INSERT_ID();
            """;
        var key = AdminKeyHash.NewKey();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var id = await connection.ExecuteScalarAsync<ulong>(new CommandDefinition(sql, new
        {
            name = request.Name,
            keyHash = AdminKeyHash.Of(key),
            keyPrefix = AdminKeyHash.Prefix(key),
            role = request.Role!.Value.ToString(),
            storeIds = string.Join(',', stores),
            now = time.GetUtcNow().UtcDateTime,
            createdBy = http.User.Actor(),
        }, cancellationToken: ct));
        return TypedResults.Created($"/api/admin/api-keys/{id}", new CreatedApiKey(id, request.Name!, request.Role.Value, stores, key));
    }

    public static async Task<Results<NoContent, NotFound>> RevokeAsync(ulong id, MySqlDataSource dataSource, TimeProvider time, CancellationToken ct)
    {
        const string sql = "UPDATE admin_api_key SET revoked_at = @now WHERE id = @id AND revoked_at IS NULL";
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var changed = await connection.ExecuteAsync(new CommandDefinition(sql, new { id, now = time.GetUtcNow().UtcDateTime }, cancellationToken: ct));
        return changed == 1 ? TypedResults.NoContent() : TypedResults.NotFound();
    }

    internal static IReadOnlyList<long> ParseStoreIds(string csv) =>
        csv.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(s => long.Parse(s, CultureInfo.InvariantCulture)).ToList();
}
