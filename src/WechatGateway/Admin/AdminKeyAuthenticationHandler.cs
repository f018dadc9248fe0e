using System.Text.Encodings.Web;
using Dapper;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace WechatGateway.Admin;

/// <summary>
/// <c>Authorization: Bearer KEY</c> for the admin API: bootstrap keys from configuration, then keys created through
/// <c>/api/admin/api-keys</c> (stored hashed, revocable).
/// </summary>
public sealed class AdminKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<AdminOptions> admin,
    MySqlDataSource dataSource) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AdminKey";

    private readonly Dictionary<string, AdminKeyOptions> _bootstrap = admin.Value.ApiKeys
        .Select(k => (Hash: AdminKeyHash.TryParseConfigured(k.Key), Key: k))
        .Where(k => k.Hash is not null)
        .ToDictionary(k => Convert.ToHexString(k.Hash!), k => k.Key, StringComparer.Ordinal);

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        var key = header["Bearer ".Length..].Trim();
        if (key.Length is 0 or > 200)
        {
            return AuthenticateResult.Fail("invalid admin key");
        }

        var hash = AdminKeyHash.Of(key);
        if (_bootstrap.TryGetValue(Convert.ToHexString(hash), out var configured))
        {
            return Success(configured.Name, configured.Role, configured.StoreIds);
        }

        const string sql = """
            SELECT name AS Name, role AS Role, store_ids AS StoreIds
            FROM admin_api_key WHERE key_hash = @hash AND revoked_at IS NULL
            """;
        await using var connection = await dataSource.OpenConnectionAsync(Context.RequestAborted);
        var stored = await connection.QuerySingleOrDefaultAsync<StoredKey>(new CommandDefinition(sql, new { hash }, cancellationToken: Context.RequestAborted));
        return stored is null
            ? AuthenticateResult.Fail("invalid admin key")
            : Success(stored.Name, Enum.Parse<AdminRole>(stored.Role), ApiKeyEndpoints.ParseStoreIds(stored.StoreIds));
    }

    private AuthenticateResult Success(string name, AdminRole role, IEnumerable<long> stores) =>
        AuthenticateResult.Success(new AuthenticationTicket(AdminPrincipal.Create(name, role, stores, SchemeName), SchemeName));

    private sealed record StoredKey(string Name, string Role, string StoreIds);
}
