CREATE TYPE "public"."push_kind" AS ENUM('message', 'clear');--> statement-breakpoint
CREATE TYPE "public"."push_provider" AS ENUM('webpush', 'fcm');--> statement-breakpoint
CREATE TYPE "public"."push_state" AS ENUM('pending', 'sent', 'skipped', 'expired', 'failed');--> statement-breakpoint
CREATE TABLE "push_outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"kind" "push_kind" DEFAULT 'message' NOT NULL,
	"user_id" bigint NOT NULL,
	"room_id" bigint NOT NULL,
	"message_id" bigint NOT NULL,
	"state" "push_state" DEFAULT 'pending' NOT NULL,
	"due_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"claim_token" text,
	"done_devices" text[] DEFAULT '{}'::text[] NOT NULL,
	"except_device" text,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "push_registrations" (
	"user_id" bigint NOT NULL,
	"device_uuid" text NOT NULL,
	"provider" "push_provider" NOT NULL,
	"address" text NOT NULL,
	"p256dh" text,
	"auth" text,
	"locale" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "push_registrations_user_id_device_uuid_pk" PRIMARY KEY("user_id","device_uuid")
);
--> statement-breakpoint
ALTER TABLE "members" ADD COLUMN "muted_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "push_registrations" ADD CONSTRAINT "push_registrations_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "push_outbox_due_idx" ON "push_outbox" USING btree ("due_at") WHERE state = 'pending';--> statement-breakpoint
CREATE UNIQUE INDEX "push_outbox_message_user_uq" ON "push_outbox" USING btree ("message_id","user_id") WHERE kind = 'message';--> statement-breakpoint
CREATE UNIQUE INDEX "push_outbox_clear_uq" ON "push_outbox" USING btree ("user_id","room_id") WHERE kind = 'clear' AND state = 'pending';--> statement-breakpoint
CREATE INDEX "push_outbox_finished_idx" ON "push_outbox" USING btree ("finished_at") WHERE state <> 'pending';--> statement-breakpoint
CREATE INDEX "push_outbox_user_room_idx" ON "push_outbox" USING btree ("user_id","room_id");--> statement-breakpoint
CREATE UNIQUE INDEX "push_registrations_address_uq" ON "push_registrations" USING btree ("provider","address");