using System.Globalization;
using System.Text.Encodings.Web;
using Dapper;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace WechatGateway.Admin;

/// <summary>
/// <c>Authorization: Bearer KEY</c> for the admin API: bootstrap keys from configuration, then keys created through
/// <c>/api/admin/api-keys</c> (stored hashed, revocable). Failures are counted per client address and per key prefix
/// (<see cref="AdminAuthThrottle"/>); a key that cannot have been issued costs no database query.
/// </summary>
public sealed class AdminKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    IOptions<AdminOptions> admin,
    AdminAuthThrottle throttle,
    IProblemDetailsService problems,
    MySqlDataSource dataSource) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "AdminKey";

    private const string WrongKey = "The admin key is not valid: unknown, revoked or mistyped.";

    private readonly Dictionary<string, AdminKeyOptions> _bootstrap = admin.Value.ApiKeys
        .Select(k => (Hash: AdminKeyHash.TryParseConfigured(k.Key), Key: k))
        .Where(k => k.Hash is not null)
        .ToDictionary(k => Convert.ToHexString(k.Hash!), k => k.Key, StringComparer.Ordinal);

    /// <summary>The client as forwarded headers from a known proxy name it (<c>Gateway:KnownProxies</c>), else the peer.</summary>
    private string Address => AdminAuthThrottle.Address(Context.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        // A blocked address still gets in with a right key: behind a proxy one client's wrong keys must not lock out
        // the others, and keys are too long to guess. Its wrong keys are refused (429) without being counted again.
        var addressBlocked = throttle.IsBlocked(Address, out var retryAfter);
        var key = header["Bearer ".Length..].Trim();
        if (key.Length is 0 or > 200)
        {
            return addressBlocked ? Throttled(retryAfter) : Failed(null);
        }

        // Guesses at the rest of one key are refused before the key is looked at, from whatever address they come.
        var prefix = AdminAuthThrottle.KeyPrefix(key);
        if (throttle.IsBlocked(prefix, out var prefixRetryAfter))
        {
            return Throttled(prefixRetryAfter);
        }

        if (await FindAsync(key) is { } found)
        {
            return found;
        }

        return addressBlocked ? Throttled(retryAfter) : Failed(prefix);
    }

    private static AuthenticateResult Throttled(TimeSpan retryAfter) => AuthenticateResult.Fail(new ThrottledException(retryAfter));

    private async Task<AuthenticateResult?> FindAsync(string key)
    {
        var hash = AdminKeyHash.Of(key);
        if (_bootstrap.TryGetValue(Convert.ToHexString(hash), out var configured))
        {
            return Success(configured.Name, configured.Role, configured.StoreIds);
        }

        if (!AdminKeyHash.CouldBeIssued(key))
        {
            return null;
        }

        const string sql = """
            SELECT name AS Name, role AS Role, store_ids AS StoreIds
            FROM admin_api_key WHERE key_hash = @hash AND revoked_at IS NULL
            """;
        await using var connection = await dataSource.OpenConnectionAsync(Context.RequestAborted);
        var stored = await connection.QuerySingleOrDefaultAsync<StoredKey>(new CommandDefinition(sql, new { hash }, cancellationToken: Context.RequestAborted));
        return stored is null ? null : Success(stored.Name, Enum.Parse<AdminRole>(stored.Role), ApiKeyEndpoints.ParseStoreIds(stored.StoreIds));
    }

    /// <summary>401 says whether the key was missing or wrong; 429 (with <c>Retry-After</c>) once an address has failed too often.</summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        if (result.Failure is ThrottledException throttled)
        {
            var seconds = Math.Max(1, (int)Math.Ceiling(throttled.RetryAfter.TotalSeconds));
            Response.StatusCode = StatusCodes.Status429TooManyRequests;
            Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
            await WriteProblemAsync("Too many failed admin authentications", $"Too many wrong admin keys came from this address or started like this one; try again in {seconds} s.");
            return;
        }

        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await (result.Failure is null
            ? WriteProblemAsync("Admin key missing", "Send the admin key as 'Authorization: Bearer KEY'.")
            : WriteProblemAsync("Admin key not accepted", WrongKey));
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        await WriteProblemAsync("Not allowed for this key", $"Keys with the role {Context.User.Role()} may not call {Request.Method} {Request.Path}.");
    }

    private AuthenticateResult Failed(string? prefix)
    {
        foreach (var partition in prefix is null ? [Address] : new[] { Address, prefix })
        {
            throttle.RecordFailure(partition);
            if (throttle.IsBlocked(partition, out var retryAfter))
            {
                // Once per block: the failures that follow are refused before they are counted.
                Logger.LogWarning("Admin authentication blocked for {Seconds:0} s after {Limit} wrong keys from {Partition}", retryAfter.TotalSeconds, admin.Value.FailedAuthPerMinute, partition == Address ? Address : "one key prefix");
            }
        }

        return AuthenticateResult.Fail(WrongKey);
    }

    private AuthenticateResult Success(string name, AdminRole role, IEnumerable<long> stores) =>
        AuthenticateResult.Success(new AuthenticationTicket(AdminPrincipal.Create(name, role, stores, SchemeName), SchemeName));

    private async Task WriteProblemAsync(string title, string detail) =>
        await problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = Response.StatusCode, Title = title, Detail = detail },
        });

    private sealed record StoredKey(string Name, string Role, string StoreIds);

    private sealed class ThrottledException(TimeSpan retryAfter) : Exception("too many failed admin authentications")
    {
        public TimeSpan RetryAfter { get; } = retryAfter;
    }
}
