using System.Globalization;
using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Options;
using MySqlConnector;
using WechatGateway.Operations;
using WechatGateway.Push;
using WechatGateway.Storage;

namespace WechatGateway.Groups;

/// <summary>
/// Worker job: sends each alert of <c>GET /api/admin/groups/alerts</c> (a group QR code expiring within 24 h or
/// expired, a live code with no usable group) to the staff member of the alert's store, when the store is active and
/// has one, as a customer-service text through the send queue: once per alert per
/// <see cref="GroupsOptions.StaffAlertPeriodHours"/>. The send key names the alert and the period
/// (<c>group-alert:qr:{groupId}:{period start}</c>, <c>group-alert:live-code:{id}:{period start}</c>), so a second
/// instance, a rerun or a round every few minutes adds nothing the period already holds.
/// </summary>
public sealed class GroupAlertJob(MySqlDataSource dataSource, SendOutbox outbox, IOptions<GroupsOptions> options, TimeProvider time, ILogger<GroupAlertJob> logger)
    : PeriodicJob(time, logger)
{
    protected override TimeSpan Interval => TimeSpan.FromMinutes(options.Value.StaffAlertCheckMinutes);

    /// <returns>How many alert messages this round added to the send queue (0 when the period's were sent already).</returns>
    public override async Task<int> RunOnceAsync(CancellationToken ct)
    {
        var now = Time.GetUtcNow().UtcDateTime;
        var periodTicks = TimeSpan.FromHours(options.Value.StaffAlertPeriodHours).Ticks;
        var period = new DateTime(now.Ticks - (now.Ticks % periodTicks), DateTimeKind.Utc).ToString("yyyyMMdd'T'HH", CultureInfo.InvariantCulture);

        const string staffSql = """
            SELECT id AS Id, name AS Name, staff_app_id AS AppId, staff_open_id AS OpenId
            FROM store WHERE active = 1 AND staff_open_id IS NOT NULL AND staff_app_id IS NOT NULL
            """;
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var staff = (await c.QueryAsync<Staff>(new CommandDefinition(staffSql, cancellationToken: ct))).ToDictionary(s => s.Id);
        if (staff.Count == 0)
        {
            return 0;
        }

        var alerts = await GroupAlerts.ReadAsync(c, now, null, ct);
        var messages = new List<(Staff To, string Key, string Text)>();
        foreach (var qr in alerts.ExpiringQrCodes)
        {
            if (staff.TryGetValue(qr.StoreId, out var to))
            {
                var when = qr.QrExpiresAt.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
                var text = qr.Expired
                    ? $"Group \"{qr.Name}\" ({to.Name}): its QR code expired at {when}, so no one is steered to it. Upload a new QR code."
                    : $"Group \"{qr.Name}\" ({to.Name}): its QR code expires at {when}. Upload a new QR code before then.";
                messages.Add((to, $"group-alert:qr:{qr.GroupId}:{period}", text));
            }
        }

        foreach (var code in alerts.LiveCodesWithoutUsableGroup)
        {
            if (code.StoreId is { } storeId && staff.TryGetValue(storeId, out var to))
            {
                var text = $"Live code \"{code.Name}\" ({code.Code}, {to.Name}) has no usable group: every scan gets the fallback message. Add a group to its pool, or free seats.";
                messages.Add((to, $"group-alert:live-code:{code.LiveCodeId}:{period}", text));
            }
        }

        // One send a transaction: instances adding the same keys at once then wait on one row at a time, never on each other.
        // On a Galera cluster the instance that loses such a race on another node learns it at COMMIT (1213), and runs
        // the insert again to find the winner's row.
        var added = 0;
        foreach (var (to, key, text) in messages)
        {
            var body = JsonSerializer.Serialize(new { touser = to.OpenId, msgtype = "text", text = new { content = text } });
            var message = new OutboundMessage(to.AppId, to.OpenId, null, SendKind.Custom, body, key);
            added += await DeadlockRetry.RunAsync(async () =>
            {
                await using var transaction = await c.BeginTransactionAsync(ct);
                var id = await outbox.AddAsync(c, transaction, message, ct);
                await transaction.CommitAsync(ct);
                return id is null ? 0 : 1;
            }, code => logger.LogInformation("Group alerts: the insert met {Code}; running it again", code), ct);
        }

        if (added > 0)
        {
            logger.LogInformation("Group alerts: {Count} messages queued for store staff", added);
        }

        return added;
    }

    private sealed record Staff(ulong Id, string Name, string AppId, string OpenId);
}
