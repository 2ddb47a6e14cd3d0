variable "alias" {
  type = string
}

variable "databricks_account_id" {
  type = string
}

data "aws_caller_identity" "current" {}

data "aws_iam_policy_document" "cmk" {
  statement {
    sid       = "EnableRootAccess"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "AllowDatabricksToUseKeyForDBFS"
    actions   = ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${var.databricks_account_id}:root"]
    }
  }

  statement {
    sid       = "AllowDatabricksToUseKeyForDBFSGrants"
    actions   = ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${var.databricks_account_id}:root"]
    }
  }
}

resource "aws_kms_key" "this" {
  description = "Databricks workspace storage"
  policy      = data.aws_iam_policy_document.cmk.json
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.alias}"
  target_key_id = aws_kms_key.this.key_id
}

output "key_arn" {
  value = aws_kms_key.this.arn
}

output "alias" {
  value = aws_kms_alias.this.name
}
