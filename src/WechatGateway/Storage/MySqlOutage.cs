using System.Net.Sockets;
using MySqlConnector;

namespace WechatGateway.Storage;

/// <summary>
/// Tells an outage of MySQL (it cannot take the statement now, but will) from a statement that is wrong. The push
/// spool keeps a batch through an outage; the API answers 503 with Retry-After. A wrong statement would fail again
/// after the outage, so it is never spooled.
/// </summary>
public static class MySqlOutage
{
    private static readonly HashSet<MySqlErrorCode> Codes =
    [
        MySqlErrorCode.UnableToConnectToHost,
        MySqlErrorCode.ConnectionCountError,
        MySqlErrorCode.ServerShutdown,
        MySqlErrorCode.CommandTimeoutExpired,
        MySqlErrorCode.QueryInterrupted,
        MySqlErrorCode.LockWaitTimeout,

        // --read-only or super_read_only, as on a replica promoted late or a primary being switched over.
        MySqlErrorCode.OptionPreventsStatement,
        MySqlErrorCode.CannotExecuteInReadOnlyTransaction,

        // Galera: "WSREP has not yet prepared node for application use", a node outside the primary component.
        MySqlErrorCode.UnknownCommand,
    ];

    public static bool Is(Exception e) => e switch
    {
        MySqlException mysql => mysql.IsTransient || Codes.Contains(mysql.ErrorCode) || mysql.InnerException is IOException or SocketException,
        TimeoutException or IOException or SocketException => true,

        // MySqlConnector's answer for a connection the server closed under it ("Connection must be Open").
        InvalidOperationException { InnerException: MySqlException or IOException or SocketException } => true,
        _ => false,
    };
}
