using System.ComponentModel.DataAnnotations;

namespace WechatGateway.Storage;

/// <summary>The <c>ConnectionStrings</c> section.</summary>
public sealed class StorageOptions
{
    public const string Section = "ConnectionStrings";

    [Required(ErrorMessage = "ConnectionStrings:MySql is required (a MySqlConnector connection string).")]
    public string MySql { get; set; } = "";

    [Required(ErrorMessage = "ConnectionStrings:Redis is required (a StackExchange.Redis configuration string).")]
    public string Redis { get; set; } = "";
}
