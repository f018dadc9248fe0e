using System.Globalization;
using System.Text.Encodings.Web;
using Dapper;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using MySqlConnector;

namespace WechatGateway.Admin;

/// <summary>
/// <c>Authorization: Bearer KEY</c> for the admin API: bootstrap keys from configuration, then keys created through
/// <c>/api/admin/api-keys</c> (stored hashed, revocable). Failures are counted per client address
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

    private string Address => Context.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }

        // A blocked address is refused before its key is looked at: were a right key let through, the 429s would
        // only slow a guesser down, not stop the guess from working.
        if (throttle.IsBlocked(Address, out var retryAfter))
        {
            return AuthenticateResult.Fail(new ThrottledException(retryAfter));
        }

        var key = header["Bearer ".Length..].Trim();
        if (key.Length is 0 or > 200)
        {
            return Failed();
        }

        var hash = AdminKeyHash.Of(key);
        if (_bootstrap.TryGetValue(Convert.ToHexString(hash), out var configured))
        {
            return Success(configured.Name, configured.Role, configured.StoreIds);
        }

        if (!AdminKeyHash.CouldBeIssued(key))
        {
            return Failed();
        }

        const string sql = """
            SELECT name AS Name, role AS Role, store_ids AS StoreIds
            FROM admin_api_key WHERE key_hash = @hash AND revoked_at IS NULL
            """;
        await using var connection = await dataSource.OpenConnectionAsync(Context.RequestAborted);
        var stored = await connection.QuerySingleOrDefaultAsync<StoredKey>(new CommandDefinition(sql, new { hash }, cancellationToken: Context.RequestAborted));
        return stored is null
            ? Failed()
            : Success(stored.Name, Enum.Parse<AdminRole>(stored.Role), ApiKeyEndpoints.ParseStoreIds(stored.StoreIds));
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
            await WriteProblemAsync("Too many failed admin authentications", $"This address sent too many wrong admin keys; try again in {seconds} s.");
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

    private AuthenticateResult Failed()
    {
        throttle.RecordFailure(Address);
        if (throttle.IsBlocked(Address, out var retryAfter))
        {
            // Once per block: the failures that follow are refused before they are counted.
            Logger.LogWarning("Admin authentication from {Address} blocked for {Seconds:0} s after {Limit} wrong keys", Address, retryAfter.TotalSeconds, admin.Value.FailedAuthPerMinute);
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
