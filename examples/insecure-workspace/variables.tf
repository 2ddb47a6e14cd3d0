variable "project" {
  type    = string
  default = "analytics"
}

variable "environment" {
  type    = string
  default = "prod"
}

variable "databricks_account_id" {
  type = string
}

variable "databricks_aws_account" {
  description = "Databricks' AWS account that uses the key (commercial: 414351767826)"
  type        = string
}

variable "region" {
  type    = string
  default = "us-west-1"
}

variable "allowed_destinations" {
  type = list(string)
}
